using System.Text;

namespace Nabla.Formats;

/// <summary>
/// Parses the YAML subset Nabla's model and exercise files use, with line and column in every error.
/// </summary>
/// <remarks>
/// Supported: block mappings (<c>key: value</c>), block sequences (<c>- item</c>, also <c>- key: value</c>
/// starting an inline mapping), flow sequences and mappings (<c>[1, 32, 32]</c>, <c>{kernelSize: 3}</c>, which
/// may span lines), plain, single- and double-quoted scalars, and <c>#</c> comments. Not supported (each an
/// error naming the position): tabs in indentation, anchors and aliases, tags, multi-line and block scalars
/// (<c>|</c>, <c>&gt;</c>), several documents. One document per text; an empty text is a null scalar.
/// Collections nest at most <see cref="ReadLimits.MaxDepth"/> levels deep, so that the readers walking the tree
/// recurse a bounded number of times; errors quote the text only where <see cref="YamlNode.Echo"/> allows it.
/// </remarks>
public sealed class YamlParser
{
    private readonly string[] lines;
    private int row;
    private int depth;

    private YamlParser(string text) =>
        lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n');

    /// <summary>Parses one document.</summary>
    /// <exception cref="YamlException">The text is not in the supported subset; the message gives line and column.</exception>
    public static YamlNode Parse(string text)
    {
        var p = new YamlParser(text);
        p.SkipBlank();
        if (p.row >= p.lines.Length)
        {
            return new YamlScalar(string.Empty, false, 1, 1);
        }

        var node = p.ParseBlock(p.Indent(p.row));
        p.SkipBlank();
        if (p.row < p.lines.Length)
        {
            throw p.Error("unexpected content after the document (check the indentation)", p.row, p.Indent(p.row));
        }

        return node;
    }

    private YamlException Error(string what, int r, int col) => new(what, r + 1, col + 1);

    /// <summary>Enters one more level of nesting at (r, col), refusing more than <see cref="ReadLimits.MaxDepth"/>.</summary>
    private void Enter(int r, int col)
    {
        if (++depth > ReadLimits.MaxDepth)
        {
            throw Error($"the document nests deeper than {ReadLimits.MaxDepth} levels", r, col);
        }
    }

    private int Indent(int r)
    {
        string l = lines[r];
        int i = 0;
        while (i < l.Length && l[i] == ' ')
        {
            i++;
        }

        if (i < l.Length && l[i] == '\t')
        {
            throw Error("tab in indentation: YAML indents with spaces only", r, i);
        }

        return i;
    }

    private static string Quote(string text) => YamlNode.Quote(text);

    private static bool IsBlankOrComment(string l)
    {
        string t = l.TrimStart(' ', '\t');
        return t.Length == 0 || t[0] == '#';
    }

    private void SkipBlank()
    {
        while (row < lines.Length && IsBlankOrComment(lines[row]))
        {
            row++;
        }
    }

    private static bool IsSequenceItem(string l, int ind) =>
        ind < l.Length && l[ind] == '-' && (ind + 1 == l.Length || l[ind + 1] == ' ');

    private YamlNode ParseBlock(int ind)
    {
        Enter(row, ind);
        string l = lines[row];
        YamlNode node;
        if (IsSequenceItem(l, ind))
        {
            node = ParseSequence(ind);
        }
        else if (FindKeyColon(l, ind) >= 0)
        {
            node = ParseMapping(ind);
        }
        else
        {
            int r = row;
            row++;
            node = ParseInlineValue(l, r, ind, allowNested: false);
        }

        depth--;
        return node;
    }

    private YamlSequence ParseSequence(int ind)
    {
        var items = new List<YamlNode>();
        int startRow = row;
        while (row < lines.Length)
        {
            SkipBlank();
            if (row >= lines.Length)
            {
                break;
            }

            int i = Indent(row);
            if (i < ind)
            {
                break;
            }

            string l = lines[row];
            if (i > ind)
            {
                throw Error("unexpected indentation inside a sequence", row, i);
            }

            if (!IsSequenceItem(l, ind))
            {
                break;
            }

            int c = ind + 1;
            while (c < l.Length && l[c] == ' ')
            {
                c++;
            }

            if (c >= l.Length || l[c] == '#')
            {
                // "-" alone: the item is the indented block below, or null.
                int r = row++;
                SkipBlank();
                items.Add(row < lines.Length && Indent(row) > ind ? ParseBlock(Indent(row)) : new YamlScalar(string.Empty, false, r + 1, ind + 1));
                continue;
            }

            // Replace "- " by spaces so the rest reads as a block at column c (an inline mapping continues there).
            lines[row] = new string(' ', c) + l[c..];
            items.Add(ParseBlock(c));
        }

        return new YamlSequence(items, startRow + 1, ind + 1);
    }

    private YamlMapping ParseMapping(int ind)
    {
        var entries = new List<KeyValuePair<YamlScalar, YamlNode>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int startRow = row;
        while (row < lines.Length)
        {
            SkipBlank();
            if (row >= lines.Length)
            {
                break;
            }

            int i = Indent(row);
            if (i < ind)
            {
                break;
            }

            string l = lines[row];
            if (i > ind)
            {
                throw Error("unexpected indentation inside a mapping (a key must line up with the keys above it)", row, i);
            }

            if (IsSequenceItem(l, ind))
            {
                break;
            }

            int colon = FindKeyColon(l, ind);
            if (colon < 0)
            {
                throw Error("expected 'key: value' (a key, a colon, a space and the value)", row, ind);
            }

            var key = ParseKey(l, row, ind, colon);
            if (!seen.Add(key.Value))
            {
                throw Error($"duplicate key {Quote(key.Value)}", row, ind);
            }

            entries.Add(new(key, ParseValueAfterColon(l, ind, colon)));
        }

        return new YamlMapping(entries, startRow + 1, ind + 1);
    }

    private YamlNode ParseValueAfterColon(string l, int ind, int colon)
    {
        int r = row;
        int c = colon + 1;
        while (c < l.Length && l[c] == ' ')
        {
            c++;
        }

        if (c >= l.Length || l[c] == '#')
        {
            row++;
            SkipBlank();
            if (row < lines.Length)
            {
                int next = Indent(row);
                if (next > ind || (next == ind && IsSequenceItem(lines[row], ind)))
                {
                    return ParseBlock(next);
                }
            }

            return new YamlScalar(string.Empty, false, r + 1, c + 1);
        }

        row++;
        return ParseInlineValue(l, r, c, allowNested: true);
    }

    private YamlNode ParseInlineValue(string l, int r, int c, bool allowNested)
    {
        char ch = l[c];
        if (ch is '[' or '{')
        {
            var flow = new FlowReader(this, r, c);
            var node = flow.ParseValue();
            flow.ExpectLineEnd();
            row = flow.Row + 1;
            return node;
        }

        if (ch is '&' or '*' or '!' or '|' or '>' or '%' or '@' or '`')
        {
            throw Error($"'{ch}' (anchors, aliases, tags, block scalars) is not supported in Nabla's YAML subset", r, c);
        }

        if (allowNested && FindKeyColon(l, c) >= 0 && ch is not '"' and not '\'')
        {
            throw Error("a mapping cannot start on the same line as its key; put it on the next line, indented, or use {…}", r, c);
        }

        var (scalar, end) = ReadScalar(l, r, c, flow: false);
        int rest = end;
        while (rest < l.Length && l[rest] == ' ')
        {
            rest++;
        }

        if (rest < l.Length && l[rest] != '#')
        {
            throw Error("unexpected text after the value (a comment starts with ' #')", r, rest);
        }

        return scalar;
    }

    private YamlScalar ParseKey(string l, int r, int ind, int colon)
    {
        var (key, end) = ReadScalar(l, r, ind, flow: false, stopAtColon: true);
        if (end != colon && l[ind..colon].Trim() != l[ind..end].Trim())
        {
            throw Error("malformed key", r, ind);
        }

        if (key.Value.Length == 0)
        {
            throw Error("empty key", r, ind);
        }

        return key;
    }

    /// <summary>The index of the ':' ending a mapping key on this line (outside quotes and brackets), or −1.</summary>
    private static int FindKeyColon(string l, int from)
    {
        if (from >= l.Length || l[from] is '[' or '{' or '#')
        {
            return -1;
        }

        char quote = '\0';
        for (int i = from; i < l.Length; i++)
        {
            char ch = l[i];
            if (quote != '\0')
            {
                if (ch == quote)
                {
                    quote = '\0';
                }
            }
            else if ((ch is '"' or '\'') && i == from)
            {
                quote = ch;
            }
            else if (ch == '#' && i > from && l[i - 1] == ' ')
            {
                return -1;
            }
            else if (ch == ':' && (i + 1 == l.Length || l[i + 1] == ' '))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Reads a scalar starting at column c; returns it and the column after it.</summary>
    private (YamlScalar Scalar, int End) ReadScalar(string l, int r, int c, bool flow, bool stopAtColon = false)
    {
        char ch = l[c];
        if (ch is '"' or '\'')
        {
            var sb = new StringBuilder();
            int i = c + 1;
            while (true)
            {
                if (i >= l.Length)
                {
                    throw Error($"unterminated quoted string (missing closing {ch})", r, c);
                }

                if (l[i] == ch)
                {
                    if (ch == '\'' && i + 1 < l.Length && l[i + 1] == '\'')
                    {
                        sb.Append('\'');
                        i += 2;
                        continue;
                    }

                    return (new YamlScalar(sb.ToString(), true, r + 1, c + 1), i + 1);
                }

                if (ch == '"' && l[i] == '\\' && i + 1 < l.Length)
                {
                    sb.Append(l[i + 1] switch { 'n' => '\n', 't' => '\t', '\\' => '\\', '"' => '"', var o => o });
                    i += 2;
                    continue;
                }

                sb.Append(l[i++]);
            }
        }

        int j = c;
        while (j < l.Length)
        {
            char x = l[j];
            if (x == '#' && j > c && l[j - 1] == ' ')
            {
                break;
            }

            if ((flow || stopAtColon) && x == ':' && (j + 1 == l.Length || l[j + 1] is ' ' or ',' or ']' or '}'))
            {
                break;
            }

            if (flow && x is ',' or '[' or ']' or '{' or '}')
            {
                break;
            }

            j++;
        }

        string text = l[c..j].TrimEnd();
        return (new YamlScalar(text, false, r + 1, c + 1), c + text.Length);
    }

    /// <summary>Reads a flow collection, which may continue over several lines.</summary>
    private sealed class FlowReader(YamlParser p, int row, int col)
    {
        public int Row => row;

        public YamlNode ParseValue()
        {
            SkipSpace();
            char ch = Peek();
            int r = row, c = col;
            if (ch is '[' or '{')
            {
                p.Enter(row, col);
                YamlNode node = ch == '[' ? ParseSequence(r, c) : ParseMapping(r, c);
                p.depth--;
                return node;
            }

            if (ch is ']' or '}' or ',')
            {
                throw p.Error($"unexpected '{ch}' (missing value?)", row, col);
            }

            return ReadFlowScalar();
        }

        private YamlSequence ParseSequence(int r, int c)
        {
            col++;
            var items = new List<YamlNode>();
            while (true)
            {
                SkipSpace();
                if (Peek() == ']')
                {
                    col++;
                    return new YamlSequence(items, r + 1, c + 1);
                }

                items.Add(ParseValue());
                SkipSpace();
                if (!Separator(']'))
                {
                    throw p.Error($"expected ',' or ']' in the sequence opened at line {r + 1}, column {c + 1}", row, col);
                }
            }
        }

        private YamlMapping ParseMapping(int r, int c)
        {
            col++;
            var entries = new List<KeyValuePair<YamlScalar, YamlNode>>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (true)
            {
                SkipSpace();
                if (Peek() == '}')
                {
                    col++;
                    return new YamlMapping(entries, r + 1, c + 1);
                }

                var key = ReadFlowScalar();
                SkipSpace();
                if (Peek() != ':')
                {
                    throw p.Error($"expected ':' after the key {Quote(key.Value)}", row, col);
                }

                col++;
                if (!seen.Add(key.Value))
                {
                    throw new YamlException($"duplicate key {Quote(key.Value)}", key);
                }

                entries.Add(new(key, ParseValue()));
                SkipSpace();
                if (!Separator('}'))
                {
                    throw p.Error($"expected ',' or '}}' in the mapping opened at line {r + 1}, column {c + 1}", row, col);
                }
            }
        }

        public void ExpectLineEnd()
        {
            string l = p.lines[row];
            while (col < l.Length && l[col] == ' ')
            {
                col++;
            }

            if (col < l.Length && l[col] != '#')
            {
                throw p.Error("unexpected text after the closing bracket", row, col);
            }
        }

        private bool Separator(char close)
        {
            if (Peek() == ',')
            {
                col++;
                return true;
            }

            if (Peek() == close)
            {
                return true;
            }

            return false;
        }

        private YamlScalar ReadFlowScalar()
        {
            var (s, end) = p.ReadScalar(p.lines[row], row, col, flow: true);
            col = end;
            return s;
        }

        private char Peek() => col < p.lines[row].Length ? p.lines[row][col] : '\n';

        private void SkipSpace()
        {
            while (true)
            {
                string l = p.lines[row];
                while (col < l.Length && l[col] is ' ' or '\t')
                {
                    col++;
                }

                if (col < l.Length && l[col] != '#')
                {
                    return;
                }

                if (row + 1 >= p.lines.Length)
                {
                    throw p.Error("unexpected end of file inside a [ ] or { } collection", row, col);
                }

                row++;
                col = 0;
            }
        }
    }
}
