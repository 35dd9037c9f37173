using Nabla.Formats;

namespace Nabla.Optim;

/// <summary>A learning-rate scheduler in the <see cref="SchedulerRegistry"/>.</summary>
/// <param name="Name">PyTorch's class name (<c>StepLR</c>).</param>
/// <param name="Summary">One line.</param>
/// <param name="Args">The arguments after the optimizer, PyTorch's names and defaults.</param>
/// <param name="Create">Builds it from checked arguments; null when it takes a function and is built in code only.</param>
public sealed record SchedulerEntry(string Name, string Summary, IReadOnlyList<ArgSpec> Args, Func<Optimizer, RegistryArgs, LRScheduler>? Create);

/// <summary>
/// Every learning-rate scheduler by name, with PyTorch's argument names and defaults (see
/// <see cref="OptimizerRegistry"/> for the naming and spec rules): <c>CosineAnnealingLR(T_max=10)</c>,
/// <c>SequentialLR(schedulers=[LinearLR(total_iters=2), ExponentialLR(gamma=0.9)], milestones=[2])</c>.
/// </summary>
/// <remarks><see cref="ReduceLROnPlateau"/> is stepped with a metric, not by epoch, and is not listed.</remarks>
public static class SchedulerRegistry
{
    /// <summary>The schedulers, in the order the docs list them.</summary>
    public static IReadOnlyList<SchedulerEntry> All { get; } =
    [
        new("StepLR", "×gamma every step_size epochs", [Req("step_size", ArgKind.Int, "period of the decay"), F("gamma", "0.1", "decay factor")],
            (o, a) => new StepLR(o, a.Int("step_size"), a.Float("gamma"))),
        new("MultiStepLR", "×gamma at each milestone", [Req("milestones", ArgKind.IntList, "epochs, e.g. [30, 80]"), F("gamma", "0.1", "decay factor")],
            (o, a) => new MultiStepLR(o, a.IntList("milestones"), a.Float("gamma"))),
        new("ExponentialLR", "×gamma every epoch", [Req("gamma", ArgKind.Float, "decay factor")], (o, a) => new ExponentialLR(o, a.Float("gamma"))),
        new("CosineAnnealingLR", "cosine from the base rate down to eta_min over T_max epochs",
            [Req("T_max", ArgKind.Int, "half period"), F("eta_min", "0.0", "minimum rate")], (o, a) => new CosineAnnealingLR(o, a.Int("T_max"), a.Float("eta_min"))),
        new("CosineAnnealingWarmRestarts", "cosine annealing restarted every T_i epochs (T_i grows by T_mult)",
            [Req("T_0", ArgKind.Int, "first period"), new("T_mult", ArgKind.Int, "1", "period growth factor"), F("eta_min", "0.0", "minimum rate")],
            (o, a) => new CosineAnnealingWarmRestarts(o, a.Int("T_0"), a.Int("T_mult"), a.Float("eta_min"))),
        new("ConstantLR", "×factor until total_iters", [F("factor", "0.3333333333333333", "factor"), new("total_iters", ArgKind.Int, "5", "epochs")],
            (o, a) => new ConstantLR(o, a.Float("factor"), a.Int("total_iters"))),
        new("LinearLR", "factor linear from start_factor to end_factor over total_iters",
            [F("start_factor", "0.3333333333333333", "first factor"), F("end_factor", "1.0", "last factor"), new("total_iters", ArgKind.Int, "5", "epochs")],
            (o, a) => new LinearLR(o, a.Float("start_factor"), a.Float("end_factor"), a.Int("total_iters"))),
        new("PolynomialLR", "(1 − epoch/total_iters)^power", [new("total_iters", ArgKind.Int, "5", "epochs"), F("power", "1.0", "power")],
            (o, a) => new PolynomialLR(o, a.Int("total_iters"), a.Float("power"))),
        new("CyclicLR", "cyclical rates between base_lr and max_lr (per batch)",
            [Req("base_lr", ArgKind.Float, "lower rate"), Req("max_lr", ArgKind.Float, "upper rate"), new("step_size_up", ArgKind.Int, "2000", "steps up"),
             new("step_size_down", ArgKind.Int, "None", "steps down (None: step_size_up)"),
             new("mode", ArgKind.Choice, "triangular", "amplitude policy", ["triangular", "triangular2", "exp_range"]), F("gamma", "1.0", "exp_range base"),
             new("cycle_momentum", ArgKind.Bool, "True", "cycle momentum (or beta1) inversely"), F("base_momentum", "0.8", "lower momentum"), F("max_momentum", "0.9", "upper momentum")],
            (o, a) => new CyclicLR(o, a.Float("base_lr"), a.Float("max_lr"), a.Int("step_size_up"), a.OptionalInt("step_size_down"), a.Choice("mode")!,
                a.Float("gamma"), a.Bool("cycle_momentum"), a.Float("base_momentum"), a.Float("max_momentum"))),
        new("OneCycleLR", "the 1cycle policy (per batch)",
            [Req("max_lr", ArgKind.Float, "peak rate"), new("total_steps", ArgKind.Int, "None", "steps (None: epochs·steps_per_epoch)"),
             new("epochs", ArgKind.Int, "None", "epochs"), new("steps_per_epoch", ArgKind.Int, "None", "steps per epoch"), F("pct_start", "0.3", "fraction of the cycle going up"),
             new("anneal_strategy", ArgKind.Choice, "cos", "cos or linear", ["cos", "linear"]), new("cycle_momentum", ArgKind.Bool, "True", "cycle momentum (or beta1) inversely"),
             F("base_momentum", "0.85", "lower momentum"), F("max_momentum", "0.95", "upper momentum"), F("div_factor", "25.0", "initial rate = max_lr/div_factor"),
             F("final_div_factor", "10000.0", "minimum rate = initial/final_div_factor"), new("three_phase", ArgKind.Bool, "False", "come back to the initial rate before annealing")],
            (o, a) => new OneCycleLR(o, a.Float("max_lr"), TotalSteps(a), a.Float("pct_start"), a.Choice("anneal_strategy")!, a.Float("div_factor"),
                a.Float("final_div_factor"), a.Bool("three_phase"), a.Bool("cycle_momentum"), a.Float("base_momentum"), a.Float("max_momentum"))),
        new("SequentialLR", "schedulers one after another, switching at the milestones",
            [Req("schedulers", ArgKind.Schedulers, "[spec, ...]"), Req("milestones", ArgKind.IntList, "one fewer than the schedulers")],
            (o, a) => new SequentialLR(o, [.. a.Specs("schedulers").Select(s => FromSpec(s, o))], a.IntList("milestones"))),
        new("ChainedScheduler", "schedulers applied together, each on the rate the previous one left",
            [Req("schedulers", ArgKind.Schedulers, "[spec, ...]")], (o, a) => new ChainedScheduler([.. a.Specs("schedulers").Select(s => FromSpec(s, o))])),
        new("LambdaLR", "base rate × lr_lambda(epoch); lr_lambda is a function: build it in code", [Req("lr_lambda", ArgKind.Choice, "a function")], null),
        new("MultiplicativeLR", "rate × lr_lambda(epoch) each epoch; lr_lambda is a function: build it in code", [Req("lr_lambda", ArgKind.Choice, "a function")], null),
    ];

    /// <summary>The registered names.</summary>
    public static IEnumerable<string> Names => All.Select(e => e.Name);

    /// <summary>The entry for <paramref name="name"/> (case, <c>_</c> and <c>-</c> ignored).</summary>
    /// <exception cref="ArgumentException">No such scheduler (the message lists them and suggests the nearest).</exception>
    public static SchedulerEntry Find(string name) =>
        All.FirstOrDefault(e => OptimizerRegistry.Key(e.Name) == OptimizerRegistry.Key(name))
        ?? throw new ArgumentException($"unknown scheduler '{name}'{DidYouMean.Suggest(name, Names)}; known: {string.Join(", ", Names)}");

    /// <summary>Creates the scheduler <paramref name="name"/> on <paramref name="optimizer"/> with <paramref name="args"/> (PyTorch's keywords, values as text).</summary>
    /// <exception cref="ArgumentException">An unknown scheduler or argument, a bad value, or a scheduler that takes a function.</exception>
    public static LRScheduler Create(string name, Optimizer optimizer, IReadOnlyDictionary<string, string>? args = null)
    {
        var entry = Find(name);
        if (entry.Create is null)
        {
            throw new ArgumentException($"{entry.Name} takes a function (lr_lambda): construct new {entry.Name}(optimizer, epoch => ...) in code");
        }

        return entry.Create(optimizer, new RegistryArgs(entry.Name, entry.Args, args));
    }

    /// <summary>Creates a scheduler from a spec such as <c>StepLR(step_size=30, gamma=0.1)</c>.</summary>
    public static LRScheduler FromSpec(string spec, Optimizer optimizer)
    {
        var (name, args) = RegistryArgs.ParseCall(spec);
        return Create(name, optimizer, args);
    }

    private static int TotalSteps(RegistryArgs a)
    {
        if (a.OptionalInt("total_steps") is { } total)
        {
            return total;
        }

        return a.OptionalInt("epochs") is { } e && a.OptionalInt("steps_per_epoch") is { } s
            ? checked(e * s)
            : throw new ArgumentException("OneCycleLR: you must define either total_steps OR (epochs AND steps_per_epoch)");
    }

    private static ArgSpec F(string name, string dflt, string help) => new(name, ArgKind.Float, dflt, help);

    private static ArgSpec Req(string name, ArgKind kind, string help) => new(name, kind, null, help);
}
