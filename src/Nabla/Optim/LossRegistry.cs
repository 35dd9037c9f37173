using System.Globalization;
using Nabla.Formats;
using Nabla.NN;

namespace Nabla.Optim;

/// <summary>A loss in the <see cref="LossRegistry"/>.</summary>
/// <param name="Name">The class name, PyTorch's and Nabla's alike (<c>CrossEntropyLoss</c>).</param>
/// <param name="Functional">PyTorch's <c>torch.nn.functional</c> name (<c>cross_entropy</c>, <c>mse_loss</c>).</param>
/// <param name="Summary">One line.</param>
/// <param name="Inputs">The tensors <c>forward</c> takes, PyTorch's names in PyTorch's order (<c>input, target</c>).</param>
/// <param name="Args">The constructor's options given as text, PyTorch's names and defaults.</param>
/// <param name="TensorArgs">The constructor's tensor options (<c>weight</c>, <c>pos_weight</c>), PyTorch's names; given as tensors.</param>
/// <param name="ClassTarget">True when the target holds class indices (else it is a tensor of values, shaped as the input).</param>
/// <param name="Create">Builds the loss from checked arguments and the given tensor options.</param>
/// <param name="Call">Applies the loss to <see cref="Inputs"/> in order.</param>
public sealed record LossEntry(string Name, string Functional, string Summary, IReadOnlyList<string> Inputs, IReadOnlyList<ArgSpec> Args,
    IReadOnlyList<string> TensorArgs, bool ClassTarget, Func<RegistryArgs, IReadOnlyDictionary<string, Tensor>, Loss> Create,
    Func<Loss, IReadOnlyList<Tensor>, Tensor> Call)
{
    /// <summary>The .NET spelling of <see cref="Functional"/>: the method of <see cref="F"/> (<c>F.CrossEntropy</c>).</summary>
    public required string DotNetFunctional { get; init; }
}

/// <summary>
/// Every loss by name, with its options as PyTorch spells them and PyTorch's defaults: the one place explain's
/// <c>loss:</c>, the training API (<c>Nabla.Training.TrainingSetup</c>) and the tests create losses from by name.
/// </summary>
/// <remarks>
/// <para>A name matches the class name (<c>CrossEntropyLoss</c>), PyTorch's functional name (<c>cross_entropy</c>,
/// <c>binary_cross_entropy</c>) or the class name without its <c>Loss</c> (<c>mse</c>, <c>nll</c>, <c>bce</c>), ignoring
/// case, <c>_</c> and <c>-</c> as <see cref="OptimizerRegistry"/> does. Options go by PyTorch's keyword
/// (<c>label_smoothing</c>) or its .NET spelling (<c>labelSmoothing</c>, <see cref="DotNetName"/>), and a spec reads as a
/// PyTorch call: <c>CrossEntropyLoss(label_smoothing=0.1)</c>.</para>
/// <para>The losses are modules (NN), but their registry sits beside the optimizers' because it shares their argument
/// checking (<see cref="RegistryArgs"/>): both are above NN and below the training and explain layers that read them.</para>
/// </remarks>
public static class LossRegistry
{
    private static readonly string[] Pair = ["input", "target"];
    private static readonly string[] Reductions = ["none", "mean", "sum"];
    private static readonly ArgSpec ReductionArg = new("reduction", ArgKind.Choice, "mean", "none, mean or sum of the per-element losses", Reductions);

    /// <summary>The losses, in the order of PyTorch's documentation (torch.nn, Loss Functions).</summary>
    public static IReadOnlyList<LossEntry> All { get; } =
    [
        Two("L1Loss", "l1_loss", "L1Loss", "mean absolute error |x − y|", [], [], false, (a, _) => new L1Loss(R(a))),
        Two("MSELoss", "mse_loss", "MseLoss", "mean squared error (x − y)²", [], [], false, (a, _) => new MSELoss(R(a))),
        Two("CrossEntropyLoss", "cross_entropy", "CrossEntropy", "log-softmax + NLL of logits against class indices or probabilities",
            [IgnoreIndex, F("label_smoothing", "0.0", "mixes the target with the uniform distribution")], ["weight"], true,
            (a, t) => new CrossEntropyLoss(t.GetValueOrDefault("weight"), a.Int("ignore_index"), R(a), a.Float("label_smoothing"))),
        new("CTCLoss", "ctc_loss", "connectionist temporal classification of log-probabilities (T, N, C)",
            ["log_probs", "targets", "input_lengths", "target_lengths"],
            [new("blank", ArgKind.Int, "0", "the blank label"), ReductionArg, B("zero_infinity", "zero the infinite losses and their gradients")], [], true,
            (a, _) => new CTCLoss(a.Int("blank"), R(a), a.Bool("zero_infinity")), (l, x) => ((CTCLoss)l).Forward(x[0], x[1], x[2], x[3]))
        { DotNetFunctional = "CtcLoss" },
        Two("NLLLoss", "nll_loss", "NllLoss", "negative log-likelihood of class indices given log-probabilities", [IgnoreIndex], ["weight"], true,
            (a, t) => new NLLLoss(t.GetValueOrDefault("weight"), a.Int("ignore_index"), R(a))),
        Two("PoissonNLLLoss", "poisson_nll_loss", "PoissonNllLoss", "Poisson negative log-likelihood",
            [new("log_input", ArgKind.Bool, "True", "the input is log λ"), B("full", "add the Stirling term"), F("eps", "1e-08", "added to λ when log_input is False")],
            [], false, (a, _) => new PoissonNLLLoss(a.Bool("log_input"), a.Bool("full"), a.Float("eps"), R(a))),
        new("GaussianNLLLoss", "gaussian_nll_loss", "Gaussian negative log-likelihood of the target under N(input, var)", ["input", "target", "var"],
            [B("full", "add the constant ½·log 2π"), F("eps", "1e-06", "clamps the variance from below"), ReductionArg], [], false,
            (a, _) => new GaussianNLLLoss(a.Bool("full"), a.Float("eps"), R(a)), (l, x) => ((GaussianNLLLoss)l).Forward(x[0], x[1], x[2]))
        { DotNetFunctional = "GaussianNllLoss" },
        Two("KLDivLoss", "kl_div", "KlDiv", "Kullback-Leibler divergence, input = log q",
            [new("reduction", ArgKind.Choice, "mean", "none, mean, sum or batchmean (the true KL)", [.. Reductions, "batchmean"]),
             B("log_target", "the target is given as log p")],
            [], false, (a, _) => new KLDivLoss(R(a), a.Bool("log_target")), reduction: false),
        Two("BCELoss", "binary_cross_entropy", "BinaryCrossEntropy", "binary cross-entropy of probabilities", [], ["weight"], false,
            (a, t) => new BCELoss(t.GetValueOrDefault("weight"), R(a))),
        Two("BCEWithLogitsLoss", "binary_cross_entropy_with_logits", "BinaryCrossEntropyWithLogits", "binary cross-entropy of logits (stable)",
            [], ["weight", "pos_weight"], false, (a, t) => new BCEWithLogitsLoss(t.GetValueOrDefault("weight"), R(a), t.GetValueOrDefault("pos_weight"))),
        Three("MarginRankingLoss", "margin_ranking_loss", "ranking hinge max(0, −y·(x₁ − x₂) + margin)", ["input1", "input2", "target"],
            [F("margin", "0.0", "the margin")], (a, _) => new MarginRankingLoss(a.Float("margin"), R(a)),
            (l, x) => ((MarginRankingLoss)l).Forward(x[0], x[1], x[2])),
        Two("HingeEmbeddingLoss", "hinge_embedding_loss", "HingeEmbeddingLoss", "x where y = 1, max(0, margin − x) where y = −1",
            [F("margin", "1.0", "the margin")], [], false, (a, _) => new HingeEmbeddingLoss(a.Float("margin"), R(a))),
        Two("HuberLoss", "huber_loss", "HuberLoss", "quadratic below δ, linear above", [F("delta", "1.0", "where it turns linear")], [], false,
            (a, _) => new HuberLoss(R(a), a.Float("delta"))),
        Two("SmoothL1Loss", "smooth_l1_loss", "SmoothL1Loss", "quadratic below β, linear above (slope 1)", [F("beta", "1.0", "where it turns linear")], [], false,
            (a, _) => new SmoothL1Loss(R(a), a.Float("beta"))),
        Two("SoftMarginLoss", "soft_margin_loss", "SoftMarginLoss", "two-class logistic loss log(1 + exp(−y·x))", [], [], false, (a, _) => new SoftMarginLoss(R(a))),
        Two("MultiLabelSoftMarginLoss", "multilabel_soft_margin_loss", "MultilabelSoftMarginLoss", "one-versus-all logistic loss over C labels", [], ["weight"], false,
            (a, t) => new MultiLabelSoftMarginLoss(t.GetValueOrDefault("weight"), R(a))),
        Three("CosineEmbeddingLoss", "cosine_embedding_loss", "1 − cos(x₁, x₂) where y = 1, max(0, cos − margin) where y = −1", ["input1", "input2", "target"],
            [F("margin", "0.0", "the margin")], (a, _) => new CosineEmbeddingLoss(a.Float("margin"), R(a)),
            (l, x) => ((CosineEmbeddingLoss)l).Forward(x[0], x[1], x[2])),
        Two("MultiMarginLoss", "multi_margin_loss", "MultiMarginLoss", "multi-class hinge of logits against class indices",
            [new("p", ArgKind.Int, "1", "1 or 2"), F("margin", "1.0", "the margin")], ["weight"], true,
            (a, t) => new MultiMarginLoss(a.Int("p"), a.Float("margin"), t.GetValueOrDefault("weight"), R(a))),
        Three("TripletMarginLoss", "triplet_margin_loss", "max(0, margin + d(a, p) − d(a, n)) with the p-norm distance", ["anchor", "positive", "negative"],
            [F("margin", "1.0", "the margin"), F("p", "2.0", "the norm degree"), F("eps", "1e-06", "added to the differences"),
             B("swap", "use the distance swap (Balntas et al.)")],
            (a, _) => new TripletMarginLoss(a.Float("margin"), a.Float("p"), a.Float("eps"), a.Bool("swap"), R(a)),
            (l, x) => ((TripletMarginLoss)l).Forward(x[0], x[1], x[2])),
    ];

    /// <summary>
    /// Public loss classes that are not in <see cref="All"/>, each with the reason; the completeness test reads it.
    /// Empty: every loss is registered.
    /// </summary>
    public static IReadOnlyDictionary<Type, string> NotListed { get; } = new Dictionary<Type, string>();

    /// <summary>The class names.</summary>
    public static IEnumerable<string> Names => All.Select(e => e.Name);

    /// <summary>PyTorch's functional names (<c>cross_entropy</c>, <c>mse_loss</c>).</summary>
    public static IEnumerable<string> FunctionalNames => All.Select(e => e.Functional);

    private static ArgSpec IgnoreIndex => new("ignore_index", ArgKind.Int, "-100", "target value that is ignored");

    /// <summary>The entry for <paramref name="name"/>: a class name, a functional name, or the class name without <c>Loss</c>.</summary>
    /// <exception cref="ArgumentException">No such loss (the message lists them and suggests the nearest).</exception>
    public static LossEntry Find(string name) => TryFind(name)
        ?? throw new ArgumentException($"unknown loss '{name}'{DidYouMean.Suggest(name, [.. FunctionalNames, .. Names])}; known: {string.Join(", ", Names)}");

    /// <summary>The entry for <paramref name="name"/> (see <see cref="Find"/>), or null.</summary>
    public static LossEntry? TryFind(string name)
    {
        string k = OptimizerRegistry.Key(name);
        return All.FirstOrDefault(e => OptimizerRegistry.Key(e.Name) is var n && (n == k || n == k + "loss" || OptimizerRegistry.Key(e.Functional) == k));
    }

    /// <summary>
    /// Creates the loss <paramref name="name"/> with <paramref name="args"/> (PyTorch's keywords or their .NET spelling,
    /// values as text) and the tensor options <paramref name="tensors"/> (<c>weight</c>, <c>pos_weight</c>).
    /// </summary>
    /// <exception cref="ArgumentException">An unknown loss or option, a bad value, or a tensor option given as text.</exception>
    public static Loss Create(string name, IReadOnlyDictionary<string, string>? args = null, IReadOnlyDictionary<string, Tensor>? tensors = null)
    {
        var entry = Find(name);
        var given = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in args ?? new Dictionary<string, string>())
        {
            string key = PyTorchName(entry, k);
            if (entry.TensorArgs.Contains(key))
            {
                throw new ArgumentException($"{entry.Name}: {key} is a tensor; give it as a tensor option, not as text");
            }

            given[key] = v;
        }

        var t = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (k, v) in tensors ?? new Dictionary<string, Tensor>())
        {
            string key = PyTorchName(entry, k);
            t[key] = entry.TensorArgs.Contains(key) ? v
                : throw new ArgumentException($"{entry.Name} has no tensor option '{k}'{(entry.TensorArgs.Count == 0 ? "" : $"; it takes: {string.Join(", ", entry.TensorArgs)}")}");
        }

        return entry.Create(new RegistryArgs(entry.Name, entry.Args, given), t);
    }

    /// <summary>Creates a loss from a spec such as <c>CrossEntropyLoss(label_smoothing=0.1)</c> or <c>mse</c>.</summary>
    public static Loss FromSpec(string spec)
    {
        var (name, args) = RegistryArgs.ParseCall(spec);
        return Create(name, args);
    }

    /// <summary>The .NET spelling of a PyTorch keyword: <c>ignore_index</c> → <c>ignoreIndex</c> (the constructor's parameter name).</summary>
    public static string DotNetName(string pytorchName)
    {
        var parts = pytorchName.Split('_', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 0 ? pytorchName
            : parts[0] + string.Concat(parts.Skip(1).Select(p => char.ToUpper(p[0], CultureInfo.InvariantCulture) + p[1..]));
    }

    /// <summary>The PyTorch keyword of an option given in either spelling (unknown names pass through for the error).</summary>
    private static string PyTorchName(LossEntry entry, string given) =>
        entry.Args.Select(a => a.Name).Concat(entry.TensorArgs).FirstOrDefault(n => n == given || DotNetName(n) == given) ?? given;

    /// <summary>A loss of (input, target); <c>reduction</c> (none, mean, sum) is appended to its options unless <paramref name="reduction"/> is false (KL divergence lists its own, with batchmean).</summary>
    private static LossEntry Two(string name, string functional, string dotNet, string summary, ArgSpec[] args, string[] tensors, bool classTarget,
        Func<RegistryArgs, IReadOnlyDictionary<string, Tensor>, Loss> create, bool reduction = true) =>
        new(name, functional, summary, Pair, reduction ? [.. args, ReductionArg] : args, tensors, classTarget, create, (l, x) => l.Forward(x[0], x[1]))
        {
            DotNetFunctional = dotNet,
        };

    /// <summary>A loss of three tensors; its <see cref="F"/> method has the class's name.</summary>
    private static LossEntry Three(string name, string functional, string summary, string[] inputs, ArgSpec[] args,
        Func<RegistryArgs, IReadOnlyDictionary<string, Tensor>, Loss> create, Func<Loss, IReadOnlyList<Tensor>, Tensor> call) =>
        new(name, functional, summary, inputs, [.. args, ReductionArg], [], false, create, call) { DotNetFunctional = name };

    private static Reduction R(RegistryArgs a) => a.Choice("reduction") switch
    {
        "none" => Reduction.None,
        "sum" => Reduction.Sum,
        "batchmean" => Reduction.BatchMean,
        _ => Reduction.Mean,
    };

    private static ArgSpec F(string name, string dflt, string help) => new(name, ArgKind.Float, dflt, help);

    private static ArgSpec B(string name, string help) => new(name, ArgKind.Bool, "False", help);
}
