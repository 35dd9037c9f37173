using System.Diagnostics;
using System.Text;
using Nabla.Formats;
using Nabla.Models;

namespace Nabla.Tests.Serialization;

/// <summary>
/// The YAML reader against hostile text: nesting bounded by <see cref="ReadLimits.MaxDepth"/> (instead of a stack
/// overflow), duplicate keys and lookups in linear time, and errors that describe the text instead of printing it.
/// </summary>
public class YamlLimitsTests
{
    [Fact]
    public void Flow_nesting_up_to_the_limit_parses_and_one_more_level_is_refused()
    {
        // The document's top node is level 1 and each '[' one more: 255 brackets make 256 levels, 256 make 257.
        var node = YamlParser.Parse(new string('[', 255) + new string(']', 255));
        int depth = 0;
        while (node is YamlSequence s)
        {
            depth++;
            node = s.Items.Count == 1 ? s.Items[0] : new YamlScalar(string.Empty);
        }

        Assert.Equal(255, depth);
        var e = Assert.Throws<YamlException>(() => YamlParser.Parse(new string('[', 256) + new string(']', 256)));
        Assert.Contains($"deeper than {ReadLimits.MaxDepth} levels", e.Problem, StringComparison.Ordinal);
        Assert.Equal((1, 256), (e.Line, e.Column)); // the 256th '[' (column 256) opens level 257
    }

    [Fact]
    public void Forty_thousand_brackets_in_a_model_file_are_an_error_not_a_stack_overflow()
    {
        string text = "layers: " + new string('[', 40_000) + new string(']', 40_000) + "\n";
        var e = Assert.Throws<YamlException>(() => ModelFile.Parse(text, "deep.yaml"));
        Assert.Equal("deep.yaml", e.File);
        Assert.Equal(1, e.Line);
        Assert.StartsWith("deep.yaml: line 1, column ", e.Message, StringComparison.Ordinal);
        Assert.Contains("deeper than 256 levels", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("- ")] // - - - - x: sequences in sequences on one line
    [InlineData("{a: ")] // flow mappings
    public void Deep_block_and_mapping_nesting_is_refused(string level)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < 20_000; i++)
        {
            sb.Append(level);
        }

        sb.Append('x');
        sb.Append(level[0] == '{' ? new string('}', 20_000) : string.Empty);
        var e = Assert.Throws<YamlException>(() => YamlParser.Parse(sb.ToString()));
        Assert.Contains("deeper than 256 levels", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_mapping_of_100000_keys_parses_in_linear_time_and_finds_every_key()
    {
        // Before the duplicate check used a set and lookups a dictionary this took 55 s to parse and 31 s to look up.
        // Time is measured as growth, not against a clock: 5× the keys must cost well under 25× (quadratic) the time:
        // the best of three runs of each size, and a second of slack for the collector, keep a busy machine from
        // deciding the outcome (the quadratic code took about 4 s for 20,000 keys and 55 s for 100,000; linear growth is 5×).
        static string Text(int n)
        {
            var sb = new StringBuilder();
            for (int i = 0; i < n; i++)
            {
                sb.Append('k').Append(i).Append(": ").Append(i).Append('\n');
            }

            return sb.ToString();
        }

        static double Best(string text, int n) => Enumerable.Range(0, 3).Min(run =>
        {
            var watch = Stopwatch.StartNew();
            var map = (YamlMapping)YamlParser.Parse(text);
            for (int i = 0; i < n; i += 7)
            {
                _ = map["k" + i];
            }

            return watch.Elapsed.TotalSeconds;
        });

        const int N = 100_000;
        string big = Text(N);
        double small = Best(Text(N / 5), N / 5), large = Best(big, N);
        Assert.True(large < (8 * small) + 1.0, $"20,000 keys took {small:F3} s, 100,000 keys {large:F3} s: more than linear");

        var map = Assert.IsType<YamlMapping>(YamlParser.Parse(big));
        for (int i = 0; i < N; i++)
        {
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), ((YamlScalar)map["k" + i]!).Value);
        }

        Assert.Equal("k0", map.Entries[0].Key.Value); // source order kept
        Assert.Equal("k99999", map.Entries[^1].Key.Value);
        Assert.Contains("(100000 keys)", map.Describe(), StringComparison.Ordinal); // a description, not 100,000 keys
    }

    [Fact]
    public void A_duplicate_among_100000_flow_keys_is_found_with_its_position()
    {
        var sb = new StringBuilder("{");
        for (int i = 0; i < 100_000; i++)
        {
            sb.Append('k').Append(i).Append(": 1, ");
        }

        sb.Append("k5: 2}");
        var e = Assert.Throws<YamlException>(() => YamlParser.Parse(sb.ToString()));
        Assert.Equal("duplicate key 'k5'", e.Problem);
        Assert.Equal(1, e.Line);
    }

    [Theory]
    [InlineData("NABLA_SECRET=hunter2-7f3a9c\n")] // a one-line scalar document (an environment dump)
    [InlineData("layers: []\nNABLA_SECRET hunter2-7f3a9c\n")] // a line that is not 'key: value'
    [InlineData("input: [1] NABLA_SECRET=hunter2-7f3a9c\n")] // text after a value
    [InlineData("layers: [] NABLA_SECRET=hunter2-7f3a9c\n")] // text after a closing bracket
    [InlineData("input: [1]\nlayers:\n  - Linear: {inFeatures: NABLA_SECRET=hunter2-7f3a9c}\n")] // a wrong value
    [InlineData("\"NABLA_SECRET=hunter2-7f3a9c\": 1\n")] // an unknown key
    public void Errors_describe_file_text_instead_of_printing_it(string text)
    {
        var e = Assert.ThrowsAny<InvalidFileException>(() => ModelFile.Parse(text, "m.yaml"));
        Assert.StartsWith("m.yaml: line ", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void YamlException_is_the_reader_exception_with_file_line_and_column()
    {
        var e = Assert.Throws<YamlException>(() => ModelFile.Parse("layers:\n  - Conv9\n", "net.yaml"));
        Assert.IsAssignableFrom<InvalidFileException>(e);
        Assert.Equal(("net.yaml", "line 2, column 5", 2, 5), (e.File, e.Position, e.Line, e.Column));
        Assert.StartsWith("net.yaml: line 2, column 5: unknown layer 'Conv9'", e.Message, StringComparison.Ordinal);
    }
}
