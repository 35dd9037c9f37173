using Nabla.Formats;

namespace Nabla.Optim;

/// <summary>An optimizer in the <see cref="OptimizerRegistry"/>.</summary>
/// <param name="Name">PyTorch's class name (<c>Adam</c>, <c>SGD</c>).</param>
/// <param name="Summary">One line.</param>
/// <param name="Args">The arguments after the parameters, PyTorch's names and defaults.</param>
/// <param name="NeedsClosure">True when it must be stepped with <see cref="Optimizer.Step(Func{Tensor})"/> (LBFGS).</param>
/// <param name="Create">Builds it from checked arguments.</param>
public sealed record OptimizerEntry(string Name, string Summary, IReadOnlyList<ArgSpec> Args, bool NeedsClosure,
    Func<IReadOnlyList<Tensor>, RegistryArgs, Optimizer> Create);

/// <summary>
/// Every optimizer by name, with its arguments as PyTorch spells them and PyTorch's defaults: the one place the
/// CLI (<c>--optimizer</c>), explain's <c>optimizer:</c> sections and the tests create optimizers from.
/// </summary>
/// <remarks>
/// Names match PyTorch's class names ignoring case, <c>_</c> and <c>-</c> (<c>adam</c>, <c>AdamW</c>, <c>adam_w</c>).
/// A spec is written as a PyTorch call without the parameters: <c>Adam(lr=0.01, betas=(0.9, 0.99))</c>.
/// </remarks>
public static class OptimizerRegistry
{
    private const string Betas = "(0.9, 0.999)";

    private static readonly ArgSpec Maximize = new("maximize", ArgKind.Bool, "False", "maximize the objective instead");

    /// <summary>The optimizers, in the order the docs list them.</summary>
    public static IReadOnlyList<OptimizerEntry> All { get; } =
    [
        new("SGD", "stochastic gradient descent with momentum, dampening, Nesterov",
            [F("lr", "0.001", "learning rate"), F("momentum", "0", "momentum factor μ"), F("dampening", "0", "dampening τ of the momentum"),
             F("weight_decay", "0", "L2 penalty λ"), B("nesterov", "Nesterov momentum"), Maximize], false,
            (p, a) => new SGD(p, a.Float("lr"), a.Float("momentum"), a.Float("dampening"), a.Float("weight_decay"), a.Bool("nesterov"), a.Bool("maximize"))),
        new("Adam", "adaptive moments (optionally AMSGrad)",
            [F("lr", "0.001", "learning rate"), P("betas", Betas, "moment decay rates (β₁, β₂)"), F("eps", "1e-08", "added to the denominator"),
             F("weight_decay", "0", "L2 penalty λ"), B("amsgrad", "keep the maximum second moment"), Maximize,
             B("decoupled_weight_decay", "decay θ by (1 − lr·λ) as AdamW")], false,
            (p, a) => new Adam(p, a.Float("lr"), a.Pair("betas").A, a.Pair("betas").B, a.Float("eps"), a.Float("weight_decay"), a.Bool("amsgrad"), a.Bool("maximize"),
                a.Bool("decoupled_weight_decay"))),
        new("AdamW", "Adam with decoupled weight decay",
            [F("lr", "0.001", "learning rate"), P("betas", Betas, "moment decay rates (β₁, β₂)"), F("eps", "1e-08", "added to the denominator"),
             F("weight_decay", "0.01", "decoupled decay λ: θ ← θ(1 − lr·λ)"), B("amsgrad", "keep the maximum second moment"), Maximize], false,
            (p, a) => new AdamW(p, a.Float("lr"), a.Pair("betas").A, a.Pair("betas").B, a.Float("eps"), a.Float("weight_decay"), a.Bool("amsgrad"), a.Bool("maximize"))),
        new("Adamax", "Adam with the infinity norm",
            [F("lr", "0.002", "learning rate"), P("betas", Betas, "decay rates (β₁, β₂)"), F("eps", "1e-08", "added to |g|"),
             F("weight_decay", "0", "L2 penalty λ"), Maximize], false,
            (p, a) => new Adamax(p, a.Float("lr"), a.Pair("betas").A, a.Pair("betas").B, a.Float("eps"), a.Float("weight_decay"), a.Bool("maximize"))),
        new("NAdam", "Adam with Nesterov momentum",
            [F("lr", "0.002", "learning rate"), P("betas", Betas, "moment decay rates (β₁, β₂)"), F("eps", "1e-08", "added to the denominator"),
             F("weight_decay", "0", "weight decay λ"), F("momentum_decay", "0.004", "ψ of the momentum schedule"),
             B("decoupled_weight_decay", "decay θ by (1 − lr·λ) instead of adding λθ to the gradient"), Maximize], false,
            (p, a) => new NAdam(p, a.Float("lr"), a.Pair("betas").A, a.Pair("betas").B, a.Float("eps"), a.Float("weight_decay"), a.Float("momentum_decay"),
                a.Bool("decoupled_weight_decay"), a.Bool("maximize"))),
        new("RAdam", "Adam with the adaptive rate's variance rectified",
            [F("lr", "0.001", "learning rate"), P("betas", Betas, "moment decay rates (β₁, β₂)"), F("eps", "1e-08", "added to the denominator"),
             F("weight_decay", "0", "weight decay λ"), B("decoupled_weight_decay", "decay θ by (1 − lr·λ) instead of adding λθ to the gradient"), Maximize], false,
            (p, a) => new RAdam(p, a.Float("lr"), a.Pair("betas").A, a.Pair("betas").B, a.Float("eps"), a.Float("weight_decay"), a.Bool("decoupled_weight_decay"), a.Bool("maximize"))),
        new("RMSprop", "running average of squared gradients, optionally centered and with momentum",
            [F("lr", "0.01", "learning rate"), F("alpha", "0.99", "smoothing constant"), F("eps", "1e-08", "added to the denominator"),
             F("weight_decay", "0", "L2 penalty λ"), F("momentum", "0", "momentum factor"), B("centered", "normalize by the estimated variance"), Maximize], false,
            (p, a) => new RMSprop(p, a.Float("lr"), a.Float("alpha"), a.Float("eps"), a.Float("weight_decay"), a.Float("momentum"), a.Bool("centered"), a.Bool("maximize"))),
        new("Adagrad", "per-element rates from the sum of squared gradients",
            [F("lr", "0.01", "learning rate"), F("lr_decay", "0", "learning rate decay"), F("weight_decay", "0", "L2 penalty λ"),
             F("initial_accumulator_value", "0", "starting sum"), F("eps", "1e-10", "added to the denominator"), Maximize], false,
            (p, a) => new Adagrad(p, a.Float("lr"), a.Float("lr_decay"), a.Float("weight_decay"), a.Float("initial_accumulator_value"), a.Float("eps"), a.Bool("maximize"))),
        new("Adadelta", "step sizes from running averages of squared gradients and updates",
            [F("lr", "1.0", "scale of the update"), F("rho", "0.9", "running-average coefficient"), F("eps", "1e-06", "added inside the square roots"),
             F("weight_decay", "0", "L2 penalty λ"), Maximize], false,
            (p, a) => new Adadelta(p, a.Float("lr"), a.Float("rho"), a.Float("eps"), a.Float("weight_decay"), a.Bool("maximize"))),
        new("Rprop", "resilient backpropagation: step sizes from gradient signs",
            [F("lr", "0.01", "initial step size"), P("etas", "(0.5, 1.2)", "(η₋, η₊) decrease and increase factors"),
             P("step_sizes", "(1e-06, 50)", "(min, max) step size"), Maximize], false,
            (p, a) => new Rprop(p, a.Float("lr"), a.Pair("etas").A, a.Pair("etas").B, a.Pair("step_sizes").A, a.Pair("step_sizes").B, a.Bool("maximize"))),
        new("ASGD", "averaged SGD (the averages in the state's ax)",
            [F("lr", "0.01", "learning rate"), F("lambd", "0.0001", "decay term"), F("alpha", "0.75", "power of the eta update"),
             F("t0", "1000000.0", "step at which averaging starts"), F("weight_decay", "0", "L2 penalty λ"), Maximize], false,
            (p, a) => new ASGD(p, a.Float("lr"), a.Float("lambd"), a.Float("alpha"), a.Float("t0"), a.Float("weight_decay"), a.Bool("maximize"))),
        new("LBFGS", "limited-memory BFGS; step(closure) re-evaluates the loss",
            [F("lr", "1", "step length scale"), I("max_iter", "20", "iterations per step"), I("max_eval", "None", "evaluations per step (None: max_iter·5/4)"),
             F("tolerance_grad", "1e-07", "first-order optimality tolerance"), F("tolerance_change", "1e-09", "step and loss change tolerance"),
             I("history_size", "100", "curvature pairs kept"), new("line_search_fn", ArgKind.Choice, "None", "None or 'strong_wolfe'", ["None", "strong_wolfe"])], true,
            (p, a) => new LBFGS(p, a.Float("lr"), a.Int("max_iter"), a.OptionalInt("max_eval"), a.Float("tolerance_grad"), a.Float("tolerance_change"),
                a.Int("history_size"), a.Choice("line_search_fn"))),
    ];

    /// <summary>The registered names.</summary>
    public static IEnumerable<string> Names => All.Select(e => e.Name);

    /// <summary>The entry for <paramref name="name"/> (case, <c>_</c> and <c>-</c> ignored).</summary>
    /// <exception cref="ArgumentException">No such optimizer (the message lists them and suggests the nearest).</exception>
    public static OptimizerEntry Find(string name) =>
        All.FirstOrDefault(e => Key(e.Name) == Key(name))
        ?? throw new ArgumentException($"unknown optimizer '{name}'{DidYouMean.Suggest(name, Names)}; known: {string.Join(", ", Names)}");

    /// <summary>Creates the optimizer <paramref name="name"/> over <paramref name="parameters"/> with <paramref name="args"/> (PyTorch's keywords, values as text).</summary>
    /// <exception cref="ArgumentException">An unknown optimizer or argument, a bad value, or a value the optimizer refuses.</exception>
    public static Optimizer Create(string name, IEnumerable<Tensor> parameters, IReadOnlyDictionary<string, string>? args = null)
    {
        var entry = Find(name);
        return entry.Create([.. parameters], new RegistryArgs(entry.Name, entry.Args, args));
    }

    /// <summary>Creates an optimizer from a spec such as <c>Adam(lr=0.01, betas=(0.9, 0.99))</c>.</summary>
    public static Optimizer FromSpec(string spec, IEnumerable<Tensor> parameters)
    {
        var (name, args) = RegistryArgs.ParseCall(spec);
        return Create(name, parameters, args);
    }

    /// <summary>The name lower-cased without <c>_</c> and <c>-</c>, for matching.</summary>
    internal static string Key(string name) => name.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();

    private static ArgSpec F(string name, string dflt, string help) => new(name, ArgKind.Float, dflt, help);

    private static ArgSpec I(string name, string dflt, string help) => new(name, ArgKind.Int, dflt, help);

    private static ArgSpec B(string name, string help) => new(name, ArgKind.Bool, "False", help);

    private static ArgSpec P(string name, string dflt, string help) => new(name, ArgKind.Pair, dflt, help);
}
