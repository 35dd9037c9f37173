using TorchSharp;
using static TorchSharp.torch;
using static GoldenGen.Harness;
using static GoldenGen.Program;
using TF = TorchSharp.torch.nn.functional;

namespace GoldenGen;

/// <summary>BatchNorm1d/2d (training with running stats after two calls; eval), LayerNorm, GroupNorm, Embedding.</summary>
public static class NormCases
{
    public static List<Case> All()
    {
        var cases = new List<Case>();
        using var scope = torch.NewDisposeScope();

        // BatchNorm: (name, op, input shape, momentum, eps, affine, track, eval).
        var bn = new (string Name, string Op, long[] Shape, double Momentum, double Eps, bool Affine, bool Track, bool Eval)[]
        {
            ("batch_norm1d_train_2d", "batch_norm1d", [6, 3], 0.1, 1e-5, true, true, false),
            ("batch_norm1d_train_3d", "batch_norm1d", [3, 4, 5], 0.1, 1e-5, true, true, false),
            ("batch_norm1d_train_momentum0.3_eps1e-3", "batch_norm1d", [5, 2, 3], 0.3, 1e-3, true, true, false),
            ("batch_norm2d_train", "batch_norm2d", [2, 3, 4, 5], 0.1, 1e-5, true, true, false),
            ("batch_norm2d_train_noaffine", "batch_norm2d", [3, 2, 3, 3], 0.1, 1e-5, false, true, false),
            ("batch_norm2d_train_notrack", "batch_norm2d", [2, 3, 3, 4], 0.1, 1e-5, true, false, false),
            ("batch_norm1d_eval_2d", "batch_norm1d", [4, 3], 0.1, 1e-5, true, true, true),
            ("batch_norm1d_eval_3d", "batch_norm1d", [2, 3, 4], 0.1, 1e-5, true, true, true),
            ("batch_norm2d_eval", "batch_norm2d", [2, 3, 4, 4], 0.1, 1e-3, true, true, true),
        };
        foreach (var (name, op, shape, mom, eps, affine, track, eval) in bn)
        {
            using var sc = torch.NewDisposeScope();
            long c = shape[1];
            var x = N(1.5, shape) + 0.7;
            var w = affine ? P(0.3, [c], 1.0) : null;
            var b = affine ? P(0.3, [c]) : null;
            var rm = track ? N(0.5, c) : null;
            var rv = track ? (Rand(NextSeed(), c) + 0.5) : null;
            var ps = affine ? new List<(string, Tensor)> { ("weight", w!), ("bias", b!) } : [];
            var bs = track ? new List<(string, Tensor)> { ("running_mean", rm!), ("running_var", rv!) } : [];
            var args = A(("num_features", c), ("momentum", mom), ("eps", eps), ("affine", affine ? 1 : 0), ("track_running_stats", track ? 1 : 0));
            var x2 = eval || !track ? null : N(0.8, shape) - 0.3;
            cases.Add(Run(name, op, eval ? "eval" : "train", args, x, ps, t => TF.batch_norm(t, rm, rv, w, b, !eval, mom, eps), bs, x2));
        }

        // LayerNorm over the last one or two dimensions.
        var ln = new (string Name, long[] Shape, long[] Normalized, double Eps, bool Affine)[]
        {
            ("layer_norm_last", [2, 3, 5], [5], 1e-5, true),
            ("layer_norm_last2", [2, 3, 4], [3, 4], 1e-5, true),
            ("layer_norm_2d_eps1e-3", [4, 6], [6], 1e-3, true),
            ("layer_norm_noaffine", [3, 5], [5], 1e-5, false),
        };
        foreach (var (name, shape, norm, eps, affine) in ln)
        {
            using var sc = torch.NewDisposeScope();
            var w = affine ? P(0.3, norm, 1.0) : null;
            var b = affine ? P(0.3, norm) : null;
            var ps = affine ? new List<(string, Tensor)> { ("weight", w!), ("bias", b!) } : [];
            var args = A(("eps", eps), ("affine", affine ? 1 : 0), ("n0", norm[0]), ("n1", norm.Length > 1 ? norm[1] : 0));
            cases.Add(Run(name, "layer_norm", "", args, N(2, shape) + 0.5, ps, t => TF.layer_norm(t, norm, w, b, eps)));
        }

        // GroupNorm.
        var gn = new (string Name, long[] Shape, int Groups, double Eps, bool Affine)[]
        {
            ("group_norm_g3", [2, 6, 3, 4], 3, 1e-5, true),
            ("group_norm_g1", [2, 4, 3, 3], 1, 1e-5, true),
            ("group_norm_per_channel", [2, 4, 2, 3], 4, 1e-5, true),
            ("group_norm_3d_input", [3, 4, 5], 2, 1e-3, true),
            ("group_norm_noaffine", [2, 6, 2, 2], 2, 1e-5, false),
        };
        foreach (var (name, shape, groups, eps, affine) in gn)
        {
            using var sc = torch.NewDisposeScope();
            long c = shape[1];
            var w = affine ? P(0.3, [c], 1.0) : null;
            var b = affine ? P(0.3, [c]) : null;
            var ps = affine ? new List<(string, Tensor)> { ("weight", w!), ("bias", b!) } : [];
            var args = A(("num_groups", groups), ("num_channels", c), ("eps", eps), ("affine", affine ? 1 : 0));
            cases.Add(Run(name, "group_norm", "", args, N(2, shape) - 0.4, ps, t => TF.group_norm(t, groups, w, b, eps)));
        }

        // Embedding: indices repeat (the gradient accumulates) and include the padding row (its gradient stays zero).
        foreach (var (name, pad) in new[] { ("embedding", -1), ("embedding_padding_idx", 2) })
        {
            using var sc = torch.NewDisposeScope();
            var m = nn.Embedding(7, 4, padding_idx: pad < 0 ? null : pad, dtype: float64);
            var w = N(1, 7, 4);
            if (pad >= 0)
            {
                w[pad] = torch.zeros(4, dtype: float64);
            }

            using (torch.no_grad())
            {
                m.weight!.copy_(w);
            }

            var idx = torch.tensor(new long[] { 1, 2, 4, 2, 6, 1, 0, 2, 3, 1, 5, 4 }, [3, 4]);
            cases.Add(Run(name, "embedding", "", A(("num_embeddings", 7), ("embedding_dim", 4), ("padding_idx", pad)), idx,
                [("weight", m.weight!)], t => m.forward(t)));
        }

        return cases;
    }
}
