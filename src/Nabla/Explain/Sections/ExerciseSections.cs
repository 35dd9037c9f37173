namespace Nabla.Explain.Sections;

/// <summary>
/// Every kind of section an exercise file can hold, once, in the order the worked solution shows them (text,
/// Markdown and HTML). The parser reads them in this order, the solver solves them in it (see
/// <see cref="IExerciseSection"/> for the phases) and the renderers walk it. A new kind is one class and one line here.
/// </summary>
internal static class ExerciseSections
{
    public static IReadOnlyList<IExerciseSection> All { get; } =
    [
        new GivenSection(),
        new SolveSection(),
        new ModelsSection(),
        new EquationsSection(),
        new LossSection(),
        new SensitivitiesSection(),
        new JacobiansSection(),
        new HessianSection(),
        new OptimizerSection(),
        new PerceptronSection(),
        new ImagesSection(),
        new AttentionSection(),
    ];

    /// <summary>The top-level keys the sections read, in table order.</summary>
    public static IEnumerable<string> Keys => All.SelectMany(s => s.Keys);
}
