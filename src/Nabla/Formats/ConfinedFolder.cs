namespace Nabla.Formats;

/// <summary>
/// The one place where a path written inside a file (an exercise's <c>file:</c>, <c>png:</c>, weights file) becomes
/// a file to read. The path is resolved against the folder of the file that names it, and read only when the file
/// it reaches, with every symbolic link followed, is a regular file inside that folder or inside one of the
/// <see cref="Allowed"/> folders (<c>--allow-path DIR</c>). So absolute paths, <c>..</c> and links that leave the
/// folder, folders, devices, pipes and <c>/proc</c> files are refused with an <see cref="InvalidFileException"/>
/// naming the path as written, and nothing of a refused file is read.
/// </summary>
/// <remarks>
/// A file is regular when it is not a folder and its size is not zero: devices, pipes, sockets and <c>/proc</c>
/// files report size 0, and no file Nabla reads is empty, so this refuses them without opening them (opening a
/// pipe would block). The read takes exactly the size found, at most <see cref="ReadLimits.MaxBytes"/>. A file
/// swapped for another between the check and the read (by someone who can write to the folder) is not guarded.
/// </remarks>
public sealed class ConfinedFolder
{
    private const int MaxLinks = 40; // as Linux's limit on links followed in one lookup

    private static readonly StringComparison PathComparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>Confines paths to <paramref name="directory"/> and the <paramref name="allowed"/> folders.</summary>
    public ConfinedFolder(string directory, IEnumerable<string>? allowed = null)
    {
        Directory = Path.GetFullPath(directory);
        Allowed = [.. (allowed ?? []).Select(Path.GetFullPath)];
    }

    /// <summary>The folder of the file that names the paths (absolute).</summary>
    public string Directory { get; }

    /// <summary>Further folders (absolute) whose files may be named, by relative or absolute paths.</summary>
    public IReadOnlyList<string> Allowed { get; }

    /// <summary>
    /// The real path (no links, no <c>..</c>) of the regular file <paramref name="name"/> names, relative to
    /// <see cref="Directory"/>; an <see cref="InvalidFileException"/> naming <paramref name="name"/> when it leaves
    /// the folder and the allowed folders, or is not a regular file.
    /// </summary>
    public string Resolve(string name)
    {
        CheckName(name);
        bool absolute = Path.IsPathRooted(name);
        if (absolute && !Path.IsPathFullyQualified(name))
        {
            throw new InvalidFileException(name, null, "a path relative to a drive's current folder is not read");
        }

        // Not Path.GetFullPath: it drops "dir/.." before looking at whether dir is a link, which the system does not.
        string real = RealPath(absolute ? name : Path.Join(Directory, name), name);
        var roots = absolute ? Allowed : [Directory, .. Allowed];
        if (!roots.Any(root => Inside(real, RealPath(root, root))))
        {
            throw new InvalidFileException(name, null, absolute
                ? "an absolute path is read only inside a folder allowed with --allow-path DIR"
                : "leaves the folder of the file that names it (by '..' or a link); allow another folder with --allow-path DIR");
        }

        CheckRegular(real, name);
        return real;
    }

    /// <summary>The bytes of the file <paramref name="name"/> names (see <see cref="Resolve"/>).</summary>
    public byte[] ReadAllBytes(string name) => ReadRegular(Resolve(name), name);

    /// <summary>
    /// The bytes of the regular file at <paramref name="path"/>, a path the user gave (not confined: the command
    /// line names it), with links followed; an <see cref="InvalidFileException"/> naming <paramref name="path"/> for
    /// a missing file, a folder, a device, a pipe or a file larger than <see cref="ReadLimits.MaxBytes"/>.
    /// </summary>
    public static byte[] ReadFile(string path)
    {
        CheckName(path);
        string real = RealPath(Path.Combine(Environment.CurrentDirectory, path), path);
        CheckRegular(real, path);
        return ReadRegular(real, path);
    }

    /// <summary>The text of a file (UTF-8, or the encoding its byte-order mark names), read as <see cref="ReadFile"/> does.</summary>
    public static string ReadText(string path) => Decode(ReadFile(path));

    /// <summary>The text of <paramref name="bytes"/> (UTF-8, or the encoding its byte-order mark names).</summary>
    public static string Decode(byte[] bytes)
    {
        using var reader = new StreamReader(new MemoryStream(bytes), System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    private static void CheckName(string name)
    {
        if (name.Length == 0 || name.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            throw new InvalidFileException(name, null, "is not a valid path");
        }
    }

    private static void CheckRegular(string real, string name)
    {
        if (System.IO.Directory.Exists(real))
        {
            throw new InvalidFileException(name, null, "is a folder, not a file");
        }

        var info = new FileInfo(real);
        if (!info.Exists)
        {
            throw new InvalidFileException(name, null, "no such file");
        }

        if (info.Length == 0)
        {
            throw new InvalidFileException(name, null, "is empty or not a regular file (a device, a pipe, a /proc file)");
        }
    }

    private static byte[] ReadRegular(string real, string name)
    {
        try
        {
            long length = new FileInfo(real).Length;
            ReadLimits.CheckBytes(length, 1, name, null);
            var bytes = new byte[length];
            using var stream = new FileStream(real, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            stream.ReadExactly(bytes);
            return bytes;
        }
        catch (EndOfStreamException)
        {
            throw new InvalidFileException(name, null, "the file shrank while it was read");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidFileException(name, null, $"cannot be read ({e.GetType().Name})");
        }
    }

    /// <summary>
    /// <paramref name="fullPath"/> with every symbolic link replaced by its target, component by component as the
    /// operating system resolves it (so <c>link/..</c> is the parent of the link's target, not the folder of the link).
    /// </summary>
    private static string RealPath(string fullPath, string name)
    {
        try
        {
            return FollowLinks(fullPath, name);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new InvalidFileException(name, null, $"cannot be resolved ({e.GetType().Name})");
        }
    }

    private static string FollowLinks(string fullPath, string name)
    {
        string root = Path.GetPathRoot(fullPath) ?? string.Empty;
        string current = root;
        var pending = new Stack<string>(Components(fullPath[root.Length..]).Reverse());
        int links = 0;
        while (pending.TryPop(out var part))
        {
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }

            string next = Path.Join(current, part);
            if (new FileInfo(next).LinkTarget is not { } target)
            {
                current = next;
                continue;
            }

            if (++links > MaxLinks)
            {
                throw new InvalidFileException(name, null, $"more than {MaxLinks} symbolic links to follow");
            }

            if (Path.IsPathRooted(target))
            {
                current = Path.GetPathRoot(target) ?? root;
                target = target[current.Length..];
            }

            foreach (var t in Components(target).Reverse())
            {
                pending.Push(t);
            }
        }

        return current;
    }

    private static IEnumerable<string> Components(string path) =>
        path.Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".");

    private static bool Inside(string path, string folder) =>
        path.StartsWith(Path.EndsInDirectorySeparator(folder) ? folder : folder + Path.DirectorySeparatorChar, PathComparison);
}
