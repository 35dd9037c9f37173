using Nabla.Formats;

namespace Nabla.Explain.Sections;

/// <summary><c>images: [q]</c>: 2-D quantities the CLI writes as grayscale PNG pictures (<see cref="Pictures"/>).</summary>
internal sealed class ImagesSection : IExerciseSection
{
    public IReadOnlyList<string> Keys { get; } = ["images"];

    public void Parse(Exercise ex, YamlMapping top, ConfinedFolder folder)
    {
        if (top["images"] is { } im)
        {
            ex.Images.AddRange(Exercise.Seq(im, "images").Select(n => Exercise.Str(n) ?? throw new YamlException("images lists quantity names", n)));
        }
    }
}
