using Nabla.Formats;


namespace Nabla.Tests.Analysis;

/// <summary>The YAML subset: block and flow collections, scalars, comments, and positions.</summary>
public class YamlParserTests
{
    [Fact]
    public void Parses_block_and_flow_collections_with_positions()
    {
        const string text = """
            # a comment
            name: "quoted: text"   # trailing comment
            input: [1, 32,
                    32]
            empty:
            list:
            - a
            - {k: 'it''s', n: -3}
            - - nested
              - items
            nested:
              deeper: 1.5e-3
            """;
        var root = Assert.IsType<YamlMapping>(YamlParser.Parse(text));
        Assert.Equal("quoted: text", ((YamlScalar)root["name"]!).Value);
        var input = Assert.IsType<YamlSequence>(root["input"]);
        Assert.Equal(["1", "32", "32"], input.Items.Select(i => ((YamlScalar)i).Value));
        Assert.Equal((3, 8), (input.Line, input.Column));
        Assert.Equal((4, 9), (input.Items[2].Line, input.Items[2].Column));
        Assert.True(((YamlScalar)root["empty"]!).IsNull);
        var list = Assert.IsType<YamlSequence>(root["list"]);
        Assert.Equal("a", ((YamlScalar)list.Items[0]).Value);
        var map = Assert.IsType<YamlMapping>(list.Items[1]);
        Assert.Equal("it's", ((YamlScalar)map["k"]!).Value);
        Assert.True(((YamlScalar)map["n"]!).TryGetInt64(out long n) && n == -3);
        Assert.Equal(2, Assert.IsType<YamlSequence>(list.Items[2]).Items.Count);
        Assert.True(((YamlScalar)((YamlMapping)root["nested"]!)["deeper"]!).TryGetDouble(out double d) && d == 1.5e-3);
    }

    [Fact]
    public void Writer_output_parses_back_to_the_same_tree()
    {
        const string text = "a: [1, -2, 'x y']\nb:\n  - c: {d: true}\n    e: ''\n  - f\n";
        string written = YamlWriter.Write(YamlParser.Parse(text));
        Assert.Equal(written, YamlWriter.Write(YamlParser.Parse(written)));
        Assert.Equal("-2", ((YamlScalar)((YamlSequence)((YamlMapping)YamlParser.Parse(written))["a"]!).Items[1]).Value);
    }

    [Theory]
    [InlineData("a: 1\na: 2\n", 2, 1, "duplicate key 'a'")]
    [InlineData("a: &x 1\n", 1, 4, "not supported")]
    [InlineData("a: [1, 2\nb: 3\n", 2, 1, "expected ',' or ']'")]
    [InlineData("a: [1, 2] x\n", 1, 11, "after the closing bracket")]
    [InlineData("a: b: c\n", 1, 4, "cannot start on the same line")]
    public void Errors_carry_line_and_column(string text, int line, int column, string what)
    {
        var e = Assert.Throws<YamlException>(() => YamlParser.Parse(text));
        Assert.Equal((line, column), (e.Line, e.Column));
        Assert.Contains(what, e.Message, StringComparison.Ordinal);
    }
}
