using System.Text;

namespace Nabla.Formats;

/// <summary>Writes files atomically: a crash or <c>kill -9</c> mid-write leaves the previous file intact.</summary>
public static class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="bytes"/> to <c>path.tmp</c>, flushes it to disk, then renames it over
    /// <paramref name="path"/> (an atomic replace on POSIX file systems and NTFS).
    /// </summary>
    public static void Write(string path, ReadOnlySpan<byte> bytes)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string tmp = full + ".tmp";
        try
        {
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                fs.Write(bytes);
                fs.Flush(flushToDisk: true);
            }

            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            File.Delete(tmp); // a failed write (disk full, I/O error) leaves neither a torn file nor a stray .tmp
            throw;
        }
    }

    /// <summary>Writes text (UTF-8) atomically.</summary>
    public static void WriteText(string path, string text) => Write(path, Encoding.UTF8.GetBytes(text));
}
