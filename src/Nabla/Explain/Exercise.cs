using System.Globalization;
using Nabla.Formats;
using Nabla.Optim;

namespace Nabla.Explain;

/// <summary>One equation line: <c>name = rhs</c> or <c>name[t] = rhs for t = a..b</c>, with its place in the file.</summary>
/// <param name="Target">The defined name (<c>h</c>).</param>
/// <param name="TargetIndex">The index expression of a recurrence (<c>t</c>, <c>0</c>), or null.</param>
/// <param name="Rhs">The right-hand side.</param>
/// <param name="Loop">The loop variable and its inclusive range, or null.</param>
/// <param name="Text">The equation as written.</param>
/// <param name="Line">1-based line of the equation text in the file.</param>
/// <param name="Column">1-based column of the first character of <see cref="Text"/>.</param>
internal sealed record Equation(string Target, Expr? TargetIndex, Expr Rhs, (string Var, int From, int To)? Loop, string Text, int Line, int Column)
{
    /// <summary>"line L, column C" of a 0-based offset in <see cref="Text"/>.</summary>
    public string Where(int offset) => $"line {Line}, column {Column + offset}";

    /// <summary>The right-hand side text.</summary>
    public string RhsText => Text[(Text.IndexOf('=', StringComparison.Ordinal) + 1)..].Split(" for ")[0].Trim();
}

/// <summary>A given value with the node it came from.</summary>
internal sealed record GivenValue(string Name, double[] Values, int[] Shape, YamlNode Node);

/// <summary>An optimizer to apply to the gradients of the loss.</summary>
internal sealed record OptimizerSpec(string Type, IReadOnlyList<string> Params, double Lr, IReadOnlyDictionary<string, double> Options, int Steps)
{
    /// <summary>SGD without momentum or weight decay: the update is exactly θ − lr·g (the renderers show that formula).</summary>
    public bool IsPlainSgd => Type == "SGD" && Options.All(kv => kv.Value == 0 || kv.Key is "dampening");

    /// <summary>Adam without weight decay, AMSGrad or maximize: the update is the textbook rule the renderers show.</summary>
    public bool IsPlainAdam => Type == "Adam" && Options.All(kv => kv.Value == 0 || kv.Key is "beta1" or "beta2" or "eps");

    /// <summary>The update rule in one line of text: SGD's and Adam's spelt out, any other named after PyTorch's class.</summary>
    public string RuleText =>
        IsPlainAdam ? "m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², m̂ = m/(1−β1^t), v̂ = v/(1−β2^t), θ ← θ − lr·m̂/(√v̂ + eps)"
        : IsPlainSgd ? "θ ← θ − lr·g"
        : $"θ ← torch.optim.{Type}'s update of θ from g (its state after each step is listed)";

    /// <summary>Adam's (β₁, β₂) as given (<c>beta1</c>, <c>beta2</c>) or PyTorch's defaults.</summary>
    public (double Beta1, double Beta2) Betas => (Options.GetValueOrDefault("beta1", 0.9), Options.GetValueOrDefault("beta2", 0.999));

    /// <summary>
    /// The options as <see cref="OptimizerRegistry"/> arguments: PyTorch's names (camelCase is accepted:
    /// weightDecay is weight_decay), numbers as text, <c>beta1</c>/<c>beta2</c> as PyTorch's <c>betas</c> pair.
    /// </summary>
    public static Dictionary<string, string> RegistryArgs(double lr, IReadOnlyDictionary<string, double> options)
    {
        static string N(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        var args = new Dictionary<string, string>(StringComparer.Ordinal) { ["lr"] = N(lr) };
        foreach (var (k, v) in options)
        {
            if (k is not ("beta1" or "beta2"))
            {
                args[Snake(k)] = N(v);
            }
        }

        if (options.ContainsKey("beta1") || options.ContainsKey("beta2"))
        {
            args["betas"] = $"({N(options.GetValueOrDefault("beta1", 0.9))}, {N(options.GetValueOrDefault("beta2", 0.999))})";
        }

        return args;
    }

    /// <summary>Creates the optimizer through the registry; a hyper-parameter it refuses (beta1 = 5) becomes an error of the exercise.</summary>
    public Nabla.Optim.Optimizer Create(IEnumerable<Tensor> parameters)
    {
        try
        {
            return OptimizerRegistry.Create(Type, parameters, RegistryArgs(Lr, Options));
        }
        catch (ArgumentException e)
        {
            throw new YamlException($"optimizer {Type}: {e.Message.Split(" (Parameter")[0]}");
        }
    }

    private static string Snake(string name) => string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));
}

/// <summary>Hessian request: of a scalar w.r.t. given scalars, at listed points, optionally named.</summary>
internal sealed record HessianSpec(string Of, IReadOnlyList<string> Wrt, IReadOnlyList<double[]> Points)
{
    /// <summary>One name per point (<c>name: H</c> or <c>name: [H1, H2]</c>), for equations and claims; empty when unnamed.</summary>
    public IReadOnlyList<string> Names { get; init; } = [];
}

/// <summary>Jacobian request: ∂of/∂wrt, optionally reshaped and named.</summary>
internal sealed record JacobianSpec(string Of, string Wrt, string Name, int[]? Shape);

/// <summary>Perceptron training (the classic rule, step output) on a small table.</summary>
internal sealed record PerceptronSpec(double[][] Inputs, double[] Targets, double[] W0, double Theta, double Lr, int Epochs, bool LearnTheta);


/// <summary>
/// An exercise: given values, a model (equations over named quantities and/or layer models), the loss and what
/// to compute. See docs/explain.md for the file format.
/// </summary>
internal sealed class Exercise
{
    /// <summary>
    /// The most steps an exercise may ask for: equation loops, optimizer steps, perceptron epochs. Exercises are
    /// hand-sized; the bound keeps a hostile or mistyped file (<c>for t = 1..2000000000</c>) from running for hours.
    /// </summary>
    public const int MaxSteps = 10_000;

    /// <summary>The most elements any tensor of a solution may have (32 MB in float64): hand-sized problems need far fewer.</summary>
    public const long MaxElements = 1L << 22;

    /// <summary>The keys of the exercise itself; every other top-level key belongs to a section (<see cref="Sections.ExerciseSections"/>).</summary>
    private static readonly string[] MetaKeys = ["id", "title", "description", "claims", "digits", "notes"];

    private static readonly string[] TopKeys = [.. MetaKeys, .. Sections.ExerciseSections.Keys];

    public string Id { get; init; } = "exercise";

    public string? Title { get; init; }

    public string? Description { get; init; }

    public List<GivenValue> Given { get; } = [];

    public List<Equation> Equations { get; } = [];

    public List<ExerciseModel> Models { get; } = [];

    /// <summary>Equations evaluated after the optimizer, which may use values after its steps (<c>gap = L - L'</c>).</summary>
    public List<Equation> After { get; } = [];

    /// <summary>The <c>after:</c> node, for errors.</summary>
    public YamlNode? AfterNode { get; set; }

    public string? Loss { get; set; }

    public YamlNode? LossNode { get; set; }

    /// <summary>The losses besides <see cref="Loss"/> (<c>losses: [L1, L2]</c>): each gets its own gradients.</summary>
    public List<(string Name, YamlNode Node)> Losses { get; } = [];

    public List<(string Name, YamlNode Node)> Gradients { get; } = [];

    public List<(string Family, IReadOnlyList<string> Wrt)> Sensitivities { get; } = [];

    public List<JacobianSpec> Jacobians { get; } = [];

    public HessianSpec? Hessian { get; set; }

    public OptimizerSpec? Optimizer { get; set; }

    public PerceptronSpec? Perceptron { get; set; }

    /// <summary>Unknowns to find so that given equations hold (see <see cref="Unknowns"/>), or null.</summary>
    public SolveSpec? Solve { get; set; }

    /// <summary>Quantities (2-D) to write as grayscale PNG pictures.</summary>
    public List<string> Images { get; } = [];

    public YamlNode? Claims { get; set; }

    /// <summary>What a section read, for sections that keep it here rather than in a property of their own.</summary>
    public Dictionary<Sections.IExerciseSection, object> SectionSpecs { get; } = [];

    public int? Digits { get; init; }

    /// <summary>The directory of the file (for relative output paths), or null.</summary>
    public string? Directory { get; set; }

    /// <summary>
    /// Reads the exercise file <paramref name="path"/>. The files it names (PNG images, model files, weights) are
    /// read only inside its folder and the <paramref name="allowed"/> folders (see <see cref="ConfinedFolder"/>).
    /// </summary>
    /// <exception cref="InvalidFileException">The file or a file it names is unreadable or malformed; the message reads "path: line L, column C: problem".</exception>
    public static Exercise Load(string path, IEnumerable<string>? allowed = null)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? Environment.CurrentDirectory;
        string text = ConfinedFolder.ReadText(path);
        try
        {
            var ex = Parse(text, new ConfinedFolder(directory, allowed));
            ex.Directory = directory;
            return ex;
        }
        catch (YamlException e)
        {
            throw new YamlException(path, e);
        }
    }

    /// <summary>
    /// Parses an exercise; the files it names (PNG images, model files, weights) are resolved and confined by
    /// <paramref name="folder"/> (default: the current folder).
    /// </summary>
    public static Exercise Parse(string yaml, ConfinedFolder? folder = null)
    {
        folder ??= new ConfinedFolder(Environment.CurrentDirectory);
        var root = YamlParser.Parse(yaml);
        if (root is not YamlMapping top)
        {
            throw new YamlException($"an exercise is a mapping with keys such as given, equations, loss; found {root.Describe()}", root);
        }

        foreach (var (k, _) in top.Entries)
        {
            if (!TopKeys.Contains(k.Value))
            {
                throw new YamlException($"unknown key {YamlNode.Quote(k.Value)}{DidYouMean.Suggest(k.Value, TopKeys)}", k);
            }
        }

        var ex = new Exercise
        {
            Id = Str(top["id"]) ?? "exercise",
            Title = Str(top["title"]),
            Description = Str(top["description"]),
            Digits = top["digits"] is YamlScalar d && d.TryGetInt64(out var dv) ? (int)dv : null,
            Claims = top["claims"],
        };
        foreach (var section in Sections.ExerciseSections.All)
        {
            section.Parse(ex, top, folder);
        }

        return ex;
    }

    internal static OptimizerSpec ReadOptimizer(YamlMapping o, IReadOnlyList<string> defaultParams)
    {
        OptimizerEntry entry;
        try
        {
            entry = OptimizerRegistry.Find(Str(o["type"]) ?? "SGD");
        }
        catch (ArgumentException e)
        {
            throw new YamlException($"optimizer: {e.Message}", o["type"]!);
        }

        if (entry.NeedsClosure)
        {
            throw new YamlException($"optimizer type {entry.Name} re-evaluates the loss through a closure and is not supported here", o["type"]!);
        }

        var options = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (k, v) in o.Entries)
        {
            if (k.Value is "type" or "params" or "steps" or "lr")
            {
                continue;
            }

            options[k.Value] = v is YamlScalar s && s.TryGetDouble(out var d) ? d : throw new YamlException($"optimizer option '{k.Value}' must be a number", v);
        }

        var ps = o["params"] is { } pn ? Names(pn, "params") : defaultParams;
        if (ps.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new YamlException($"optimizer params name '{twice.Key}' twice; each parameter is updated once per step", o["params"] ?? o);
        }

        double lr = o["lr"] is YamlScalar l && l.TryGetDouble(out var lv) ? lv : throw new YamlException("optimizer needs 'lr: number'", o);
        if (!double.IsFinite(lr) || lr < 0)
        {
            throw new YamlException($"optimizer lr must be a finite number ≥ 0, not {lr}", o["lr"]!);
        }

        int steps = o["steps"] is not { } stepsNode ? 1
            : stepsNode is YamlScalar st && st.TryGetInt64(out var sv) && sv is >= 1 and <= Steps.Max ? (int)sv
            : throw new YamlException($"optimizer steps is a whole number from 1 to {Steps.Max}", stepsNode);
        try
        {
            _ = new RegistryArgs(entry.Name, entry.Args, OptimizerSpec.RegistryArgs(lr, options));
        }
        catch (ArgumentException e)
        {
            throw new YamlException($"optimizer {entry.Name}: {e.Message}", o);
        }

        return new OptimizerSpec(entry.Name, ps, lr, options, steps);
    }

    internal static PerceptronSpec ReadPerceptron(YamlMapping p)
    {
        var data = Seq(p["data"] ?? throw new YamlException("perceptron needs 'data: [[x1, x2, target], ...]'", p), "data").Select(Numbers).ToArray();
        double Num(string key, double dflt) => p[key] is YamlScalar s && s.TryGetDouble(out var v) ? v : dflt;
        int n = data.Length > 0 ? data[0].Length - 1 : 0;
        if (n < 1 || data.Any(r => r.Length != n + 1))
        {
            throw new YamlException("perceptron data rows must all have the same length, at least 2: the inputs, then the target", p["data"]!);
        }

        double[] w0 = p["w0"] is { } w ? Numbers(w) : new double[n];
        if (w0.Length != n)
        {
            throw new YamlException($"perceptron w0 has {w0.Length} weights but the data rows have {n} inputs", p["w0"]!);
        }

        double epochs = Num("epochs", 100);
        if (epochs is not (>= 1 and <= MaxSteps) || epochs != Math.Floor(epochs))
        {
            throw new YamlException($"perceptron epochs must be a whole number from 1 to {MaxSteps}", p["epochs"] ?? p);
        }

        return new PerceptronSpec([.. data.Select(r => r[..n])], [.. data.Select(r => r[n])],
            w0, Num("theta", 0), Num("lr", 1), (int)epochs,
            p["learn_theta"] is YamlScalar lt && lt.TryGetBool(out var b) && b);
    }

    internal static Equation ReadEquation(YamlNode node)
    {
        if (node is not YamlScalar s || s.IsNull)
        {
            throw new YamlException("an equation is a line such as \"y = w*x + b\" or \"h[t] = w1*h[t-1] + w2*x[t] for t = 1..4\"", node);
        }

        string text = s.Value;
        int line = s.Line, col = s.Column + (s.Quoted ? 1 : 0);
        try
        {
            (string, int, int)? loop = null;
            int end = text.Length;
            int forAt = text.LastIndexOf(" for ", StringComparison.Ordinal);
            if (forAt >= 0)
            {
                end = forAt;
                var spec = text[(forAt + 5)..];
                var parts = spec.Split([" = ", " in ", "="], 2, StringSplitOptions.TrimEntries);
                var range = parts.Length == 2 ? parts[1].Split("..", StringSplitOptions.TrimEntries) : [];
                if (range.Length != 2 || !int.TryParse(range[0], CultureInfo.InvariantCulture, out int a) || !int.TryParse(range[1], CultureInfo.InvariantCulture, out int b))
                {
                    throw new ExprException("a loop reads 'for t = 1..4' (inclusive integer range)", forAt + 1);
                }

                if ((long)b - a + 1 > MaxSteps)
                {
                    throw new ExprException($"a loop may run at most {MaxSteps} steps; {a}..{b} is {(long)b - a + 1}", forAt + 1);
                }

                loop = (parts[0], a, b);
            }

            var (name, indices, after) = ExprParser.ParseTarget(text, 0);
            int eq = text.IndexOf('=', after);
            if (eq < 0 || text[after..eq].Trim().Length > 0)
            {
                throw new ExprException("expected '=' after the quantity's name", after);
            }

            if (indices.Count > 1)
            {
                throw new ExprException("a recurrence has one index (h[t])", after);
            }

            var rhs = ExprParser.Parse(text, eq + 1, end);
            return new Equation(name, indices.Count == 1 ? indices[0] : null, rhs, loop, text, line, col);
        }
        catch (ExprException e)
        {
            throw new YamlException($"{e.Message} in {InvalidFileException.Quote(text)}", line, col + e.Pos);
        }
    }

    internal static GivenValue ReadGiven(string name, YamlNode v, ConfinedFolder folder)
    {
        if (v is YamlMapping pm && pm["png"] is { } pngNode)
        {
            return PngGiven.Read(name, pm, pngNode, folder);
        }

        if (v is YamlMapping m && m["formula"] is YamlScalar f)
        {
            var shapeNode = m["shape"] ?? throw new YamlException("a formula value needs 'shape: [..]'", m);
            var shape = ShapeOf(shapeNode);
            var idx = m["indices"] is { } ix ? Seq(ix, "indices").Select(n => Str(n) ?? throw new YamlException("an index is a name such as i", n)).ToArray()
                : shape.Length <= 4 ? new[] { "i", "j", "k", "l" }[..shape.Length]
                : throw new YamlException($"a formula of {shape.Length} dimensions needs 'indices: [..]' naming each", shapeNode);
            if (idx.Length != shape.Length)
            {
                throw new YamlException($"'indices' names {idx.Length} indices for a shape of {shape.Length} dimensions", m["indices"]!);
            }

            Expr e;
            try
            {
                e = ExprParser.Parse(f.Value);
            }
            catch (ExprException ee)
            {
                throw new YamlException(ee.Message, f.Line, f.Column + (f.Quoted ? 1 : 0) + ee.Pos);
            }

            var values = new double[ElementCount(shape, shapeNode)];
            var env = new Dictionary<string, double>(StringComparer.Ordinal);
            for (int flat = 0; flat < values.Length; flat++)
            {
                int rest = flat;
                for (int d = shape.Length - 1; d >= 0; d--)
                {
                    env[idx[d]] = rest % shape[d];
                    rest /= shape[d];
                }

                values[flat] = ConstEval.Eval(e, env, f);
            }

            return new GivenValue(name, values, shape, v);
        }

        var shp = new List<int>();
        var vals = new List<double>();
        Flatten(v, 0, shp, vals, name);
        return new GivenValue(name, [.. vals], [.. shp], v);
    }

    private static void Flatten(YamlNode v, int depth, List<int> shape, List<double> values, string name)
    {
        switch (v)
        {
            case YamlScalar s when s.TryGetDouble(out var d):
                if (depth != shape.Count)
                {
                    throw new YamlException($"'{name}' is ragged: a number where a list of length {shape[depth]} was expected", v);
                }

                values.Add(d);
                break;
            case YamlScalar s when s.TryGetBool(out var b):
                values.Add(b ? 1 : 0);
                break;
            case YamlSequence q:
                if (depth == shape.Count && values.Count == 0)
                {
                    shape.Add(q.Items.Count);
                }
                else if (depth >= shape.Count || shape[depth] != q.Items.Count)
                {
                    throw new YamlException($"shape mismatch in '{name}': a row of {q.Items.Count} where {(depth < shape.Count ? shape[depth] : 0)} were expected", v);
                }

                foreach (var item in q.Items)
                {
                    Flatten(item, depth + 1, shape, values, name);
                }

                break;
            default:
                throw new YamlException($"'{name}' must be a number or a (nested) list of numbers, found {v.Describe()}", v);
        }
    }

    /// <summary>
    /// A shape (<c>[2, 3]</c>): whole numbers from 0 to 2^31 − 1 whose product, as doubles, stays under the memory
    /// cap of one read (<see cref="ReadLimits.MaxBytes"/>), checked before anything is allocated.
    /// </summary>
    internal static int[] ShapeOf(YamlNode n)
    {
        var dims = Seq(n, "shape").Select(i => i is YamlScalar s && s.TryGetInt64(out long d) && d is >= 0 and <= int.MaxValue ? (int)d
            : throw new YamlException($"a size in a shape is a whole number from 0 to {int.MaxValue}; found {i.Describe()}", i)).ToArray();
        ElementCount(dims, n);
        return dims;
    }

    /// <summary>The number of elements of <paramref name="shape"/>, an error at <paramref name="at"/> past the memory cap.</summary>
    private static int ElementCount(int[] shape, YamlNode at)
    {
        try
        {
            long count = ReadLimits.ElementCount(shape.Select(d => (long)d), sizeof(double), null, null);
            return count <= Array.MaxLength ? (int)count : throw new YamlException($"{count:N0} elements are more than an array holds", at);
        }
        catch (InvalidFileException e) when (e is not YamlException)
        {
            throw new YamlException(e.Problem, at);
        }
    }

    internal static string? Str(YamlNode? n) => n is YamlScalar { IsNull: false } s ? s.Value : null;

    /// <summary>A list of names (<c>wrt: [x, y]</c>); an entry that is not a name (null, a list) is an error at its position.</summary>
    internal static List<string> Names(YamlNode n, string what) =>
        Seq(n, what).Select(i => Str(i) ?? throw new YamlException($"'{what}' lists names, but this entry is {i.Describe()}", i)).ToList();

    internal static IReadOnlyList<YamlNode> Seq(YamlNode n, string what) =>
        n is YamlSequence s ? s.Items : n is YamlScalar { IsNull: false } ? [n] : throw new YamlException($"'{what}' must be a list", n);

    internal static double[] Numbers(YamlNode n) => Seq(n, "list").Select(i =>
        i is YamlScalar s && s.TryGetDouble(out var d) ? d : throw new YamlException($"expected a number, found {i.Describe()}", i)).ToArray();
}
