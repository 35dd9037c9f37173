using System.Text;
using System.Text.Json.Nodes;
using Nabla.Formats;

namespace Nabla.Explain.Sections;

/// <summary>
/// One kind of section an exercise file can hold (<c>equations:</c>, <c>optimizer:</c>, <c>hessian:</c>,
/// <c>attention:</c>, ...): it reads its top-level keys, solves with the engine and renders its results as text or
/// Markdown, JSON and HTML. Every kind is listed once in <see cref="ExerciseSections.All"/>; the parser, the
/// solver and the three renderers walk that table in its order, so a new kind is one class and one line there.
/// </summary>
/// <remarks>
/// Solving runs in three phases over the table: <see cref="Prepare"/> (values the equations may read: solved
/// unknowns, model exports, a named Hessian), then the equations are evaluated once, then <see cref="Solve"/> of the
/// sections with <see cref="Traced"/> (inside the trace that the JSON's op counts report), then <see cref="Solve"/>
/// of the others. A section stores its results on the <see cref="Solution"/> and adds every value a claim may name
/// to <see cref="Solution.Values"/>, with its dependencies, which is all <c>nabla check</c> needs.
/// </remarks>
internal interface IExerciseSection
{
    /// <summary>The top-level keys of an exercise file this section reads.</summary>
    IReadOnlyList<string> Keys { get; }

    /// <summary>Whether <see cref="Solve"/> runs inside the trace of the forward and backward pass.</summary>
    bool Traced => false;

    /// <summary>Reads this section's keys of <paramref name="top"/> into <paramref name="ex"/> (absent keys: nothing).</summary>
    void Parse(Exercise ex, YamlMapping top, ConfinedFolder folder);

    /// <summary>Before the equations: adds the values they may read to <paramref name="ctx"/>.</summary>
    void Prepare(SolveContext ctx)
    {
    }

    /// <summary>After the equations: computes this section's results into <paramref name="sol"/>.</summary>
    void Solve(Solution sol, SolveContext ctx)
    {
    }

    /// <summary>
    /// Why the claim <paramref name="claimed"/> about this section's value <paramref name="name"/> is wrong (the usual
    /// slip it matches, and the computation), for <c>nabla check</c>; null when the name is not this section's.
    /// </summary>
    string? Why(Solution sol, string name, Tensor claimed) => null;

    /// <summary>Appends this section's part of the worked solution as terminal text or Markdown.</summary>
    void Text(Solution sol, TextOut o)
    {
    }

    /// <summary>Adds this section's keys to the JSON solution.</summary>
    void Json(Solution sol, JsonObject root)
    {
    }

    /// <summary>Appends this section's part of the HTML page; names in <paramref name="wrong"/> are highlighted.</summary>
    void Html(Solution sol, StringBuilder w, IReadOnlySet<string> wrong)
    {
    }
}

/// <summary>What the sections share while an exercise is solved.</summary>
internal sealed class SolveContext(Exercise exercise, Trace trace)
{
    public Exercise Exercise { get; } = exercise;

    /// <summary>The trace of the forward and backward pass (model runs record into it).</summary>
    public Trace Trace { get; } = trace;

    /// <summary>Values the equations may read by name, beside the givens (model exports, solved unknowns, a named Hessian).</summary>
    public Dictionary<string, Tensor> Inputs { get; } = new(StringComparer.Ordinal);

    /// <summary>Layer models another section adds (a <c>solve:</c> section's models with their sizes found).</summary>
    public List<ExerciseModel> Models { get; } = [];

    /// <summary>Named results found before the equations; they open <see cref="Solution.Values"/> in this order.</summary>
    public List<NamedValue> Values { get; } = [];

    /// <summary>The evaluator of the equations (set once they are evaluated), for sections that evaluate again.</summary>
    public Evaluator? Evaluator { get; set; }

    /// <summary>Results a section keeps from <see cref="IExerciseSection.Prepare"/> for its <see cref="IExerciseSection.Solve"/>.</summary>
    public Dictionary<IExerciseSection, object> State { get; } = [];
}

/// <summary>A text or Markdown rendering in progress: the output, the flavour and the digits, with the usual line shapes.</summary>
internal sealed class TextOut(StringBuilder w, bool markdown, int digits)
{
    public StringBuilder W { get; } = w;

    public bool Markdown { get; } = markdown;

    public int Digits { get; } = digits;

    /// <summary>A section heading.</summary>
    public void H(string title) => W.Append(Markdown ? $"\n## {title}\n\n" : $"\n{title}\n{new string('-', title.Length)}\n");

    /// <summary>One line of a section (a Markdown list item).</summary>
    public void Line(string text) => W.Append(Markdown ? $"- {text}\n" : $"  {text}\n");

    /// <summary>The LaTeX form in Markdown, the plain form in text.</summary>
    public string M(string latex, string plain) => Markdown ? $"${latex}$" : plain;

    /// <summary>A tensor in plain text at the rendering's digits.</summary>
    public string N(Tensor t) => Format.Tensor(t, Digits);
}
