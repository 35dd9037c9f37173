using Nabla.Formats;


namespace Nabla.Explain;

/// <summary>
/// A given value read from a PNG file: <c>{png: digit.png}</c> (path relative to the exercise) is the image as a
/// [H, W] tensor of grey levels in [0, 1] (colour converted to luminance 0.299·R + 0.587·G + 0.114·B);
/// <c>channels: rgb</c> gives [3, H, W] instead. Alpha is ignored.
/// </summary>
internal static class PngGiven
{
    private static readonly string[] Keys = ["png", "channels"];

    public static GivenValue Read(string name, YamlMapping m, YamlNode pngNode, ConfinedFolder folder)
    {
        foreach (var (k, _) in m.Entries.Where(e => !Keys.Contains(e.Key.Value)))
        {
            throw new YamlException($"'{name}': a PNG value has the keys png and channels, not {YamlNode.Quote(k.Value)}{DidYouMean.Suggest(k.Value, Keys)}", k);
        }

        string file = Exercise.Str(pngNode) ?? throw new YamlException($"'{name}': png needs a file path (relative to the exercise)", pngNode);
        string channels = Exercise.Str(m["channels"]) ?? "gray";
        if (channels is not ("gray" or "grey" or "rgb"))
        {
            throw new YamlException($"'{name}': channels must be gray (a [H, W] image of luminance) or rgb (a [3, H, W] image), not '{channels}'", m["channels"]!);
        }

        PngImage image;
        try
        {
            image = Png.Decode(folder.ReadAllBytes(file), file);
        }
        catch (Exception e) when (e is InvalidFileException or IOException or UnauthorizedAccessException)
        {
            throw new YamlException($"'{name}': cannot read the PNG: {e.Message}", pngNode);
        }

        return channels == "rgb"
            ? new GivenValue(name, image.RgbPlanes(), [3, image.Height, image.Width], m)
            : new GivenValue(name, image.Luminance(), [image.Height, image.Width], m);
    }
}
