using Nabla.Formats;


namespace Nabla.Explain;

/// <summary>Evaluates integer/real expressions without tensors: loop indices, index expressions, formula-given values.</summary>
internal static class ConstEval
{
    public static double Eval(Expr e, IReadOnlyDictionary<string, double> env, YamlNode? at = null)
    {
        try
        {
            return E(e, env);
        }
        catch (ExprException x) when (at is not null)
        {
            throw new YamlException(x.Message, at.Line, at.Column + x.Pos);
        }
    }

    public static double E(Expr e, IReadOnlyDictionary<string, double> env) => e switch
    {
        NumExpr n => n.Value,
        SymExpr s => env.TryGetValue(s.Name, out var v) ? v : throw new ExprException($"unknown symbol '{s.Name}' (here only {string.Join(", ", env.Keys)} and numbers may appear)", s.Pos),
        NegExpr n => -E(n.Operand, env),
        BinExpr b => b.Op switch
        {
            '+' => E(b.Left, env) + E(b.Right, env),
            '-' => E(b.Left, env) - E(b.Right, env),
            '*' => E(b.Left, env) * E(b.Right, env),
            '/' => E(b.Left, env) / E(b.Right, env),
            '%' => Mod(E(b.Left, env), E(b.Right, env)),
            '^' => Math.Pow(E(b.Left, env), E(b.Right, env)),
            _ => throw new ExprException($"'{b.Op}' is not allowed here", b.Pos),
        },
        CallExpr c when c.Args.Count == 1 => c.Name switch
        {
            "exp" => Math.Exp(E(c.Args[0], env)),
            "log" => Math.Log(E(c.Args[0], env)),
            "sqrt" => Math.Sqrt(E(c.Args[0], env)),
            "abs" => Math.Abs(E(c.Args[0], env)),
            "floor" => Math.Floor(E(c.Args[0], env)),
            "tanh" => Math.Tanh(E(c.Args[0], env)),
            _ => throw new ExprException($"function '{c.Name}' is not allowed here", c.Pos),
        },
        _ => throw new ExprException($"'{e.Show()}' is not allowed here", e.Pos),
    };

    /// <summary>Python-style modulo (the result has the divisor's sign).</summary>
    public static double Mod(double a, double b) => a - (Math.Floor(a / b) * b);

    /// <summary>Evaluates an integer index, failing on fractions.</summary>
    public static int Int(Expr e, IReadOnlyDictionary<string, double> env)
    {
        double v = E(e, env);
        return v == Math.Floor(v) ? (int)v : throw new ExprException($"index {e.Show()} = {v} is not an integer", e.Pos);
    }
}
