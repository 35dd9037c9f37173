using TorchSharp;
using static TorchSharp.torch;
using static GoldenGen.Harness;
using static GoldenGen.Program;
using TF = TorchSharp.torch.nn.functional;

namespace GoldenGen;

/// <summary>
/// Non-square pooling and transposed convolution ((height, width) pairs), max pooling's indices, and MaxUnpool1d/2d.
/// Arguments are per axis: kh, kw, sh, sw, ph, pw, dh, dw (and oph, opw; oh, ow for an unpool's output size, 0 = default).
/// </summary>
public static class PoolMore
{
    public static List<Case> All()
    {
        var cases = new List<Case>();
        using var scope = torch.NewDisposeScope();
        var none = Array.Empty<(string, Tensor)>();

        // MaxPool2d with pairs; indices stored.
        foreach (var (name, k, s, p, d, ceil, (h, w)) in new[]
        {
            ("max_pool2d_pairs", (3, 2), (2, 1), (1, 0), (1, 2), false, (7, 9)),
            ("max_pool2d_pairs_ceil", (2, 3), (2, 3), (0, 1), (1, 1), true, (5, 8)),
        })
        {
            using var sc = torch.NewDisposeScope();
            Tensor? idx = null;
            var c = Run(name, "max_pool2d", "", Geo(k, s, p, d, ("ceil_mode", ceil ? 1 : 0)), N(1, 2, 3, h, w), none, t =>
            {
                var (y, i) = TF.max_pool2d_with_indices(t, [k.Item1, k.Item2], [s.Item1, s.Item2], [p.Item1, p.Item2], [d.Item1, d.Item2], ceil);
                idx = i;
                return y;
            });
            c.tensors["indices"] = Pack(idx!);
            cases.Add(c);
        }

        foreach (var (name, k, s, p, ceil, cip, (h, w)) in new[]
        {
            ("avg_pool2d_pairs", (2, 3), (1, 2), (1, 0), false, true, (5, 8)),
            ("avg_pool2d_pairs_exclude_pad_ceil", (3, 2), (2, 2), (1, 1), true, false, (6, 5)),
        })
        {
            using var sc = torch.NewDisposeScope();
            cases.Add(Run(name, "avg_pool2d", "", Geo(k, s, p, (1, 1), ("ceil_mode", ceil ? 1 : 0), ("count_include_pad", cip ? 1 : 0)), N(1, 2, 3, h, w), none,
                t => TF.avg_pool2d(t, [k.Item1, k.Item2], [s.Item1, s.Item2], [p.Item1, p.Item2], ceil, cip)));
        }

        {
            using var sc = torch.NewDisposeScope();
            var (k, s, p, d, op) = ((3, 2), (2, 3), (1, 0), (1, 2), (1, 2));
            var x = N(1, 2, 2, 4, 5);
            var wt = P(0.3, [2, 3, 3, 2]);
            var b = P(0.3, [3]);
            cases.Add(Run("conv_transpose2d_pairs", "conv_transpose2d", "", Geo(k, s, p, d, ("oph", op.Item1), ("opw", op.Item2), ("in_channels", 2), ("out_channels", 3)),
                x, [("weight", wt), ("bias", b)], t => TF.conv_transpose2d(t, wt, b, [2, 3], [1, 0], [1, 2], [1, 2], 1)));
        }

        foreach (var (name, cin, cout, k, st, pd, op, g, d, bias, l) in new[]
        {
            ("conv_transpose1d_basic", 2, 3, 3, 1, 0, 0, 1, 1, true, 6),
            ("conv_transpose1d_all", 4, 6, 3, 3, 1, 2, 2, 2, false, 5),
        })
        {
            using var sc = torch.NewDisposeScope();
            var x = N(1, 2, cin, l);
            var wt = P(0.3, [cin, cout / g, k]);
            var b = bias ? P(0.3, [cout]) : null;
            var ps = new List<(string, Tensor)> { ("weight", wt) };
            if (b is not null)
            {
                ps.Add(("bias", b));
            }

            cases.Add(Run(name, "conv_transpose1d", "", A(("in_channels", cin), ("out_channels", cout), ("kernel_size", k), ("stride", st), ("padding", pd),
                ("output_padding", op), ("groups", g), ("dilation", d), ("bias", bias ? 1 : 0)), x, ps,
                t => TF.conv_transpose1d(t, wt, b, st, pd, op, d, g)));
        }

        // MaxUnpool2d of max_pool2d's output: non-overlapping windows (no repeated index), overlapping ones (repeats), an output size.
        foreach (var (name, k, s, p, (h, w), (oh, ow)) in new[]
        {
            ("max_unpool2d_k2", (2, 2), (2, 2), (0, 0), (6, 6), (0, 0)),
            ("max_unpool2d_pairs", (2, 3), (2, 3), (1, 0), (5, 9), (5, 9)),
            ("max_unpool2d_output_size", (2, 2), (2, 2), (0, 0), (7, 5), (7, 5)),
            ("max_unpool2d_overlapping", (3, 3), (2, 2), (1, 1), (6, 7), (6, 7)),
        })
        {
            using var sc = torch.NewDisposeScope();
            var (v, idx) = TF.max_pool2d_with_indices(N(1, 2, 3, h, w), [k.Item1, k.Item2], [s.Item1, s.Item2], [p.Item1, p.Item2], [1, 1], false);
            var c = Run(name, "max_unpool2d", "", Geo(k, s, p, (1, 1), ("oh", oh), ("ow", ow)), v.detach().clone(), none,
                t => oh == 0 ? TF.max_unpool2d(t, idx, kernel_size: [k.Item1, k.Item2], stride: [s.Item1, s.Item2], padding: [p.Item1, p.Item2])
                    : Unpool(t, idx, oh, ow));
            c.tensors["indices"] = Pack(idx);
            cases.Add(c);
        }

        foreach (var (name, k, s, p, l, ol) in new[] { ("max_unpool1d_k2", 2, 2, 0, 8, 0), ("max_unpool1d_k3_s2_p1_size", 3, 2, 1, 9, 10) })
        {
            using var sc = torch.NewDisposeScope();
            var (v, idx) = TF.max_pool1d_with_indices(N(1, 2, 3, l), k, s, p, 1, false);

            var c = Run(name, "max_unpool1d", "", A(("kernel_size", k), ("stride", s), ("padding", p), ("ol", ol)), v.detach().clone(), none,
                t => ol == 0 ? TF.max_unpool2d(t.unsqueeze(-1), idx.unsqueeze(-1), kernel_size: [k, 1], stride: [s, 1], padding: [p, 0]).squeeze(-1)
                    : Unpool(t.unsqueeze(-1), idx.unsqueeze(-1), ol, 1).squeeze(-1));
            c.tensors["indices"] = Pack(idx);
            cases.Add(c);
        }

        return cases;
    }

    // TorchSharp 0.107 passes an explicit output_size to libtorch as an empty list (it throws), so a given output size is
    // computed by max_unpool's definition, a scatter into a zero plane (last write wins on the CPU, and the gradient of
    // the values is gather(dy, indices), as max_unpool2d's backward).
    private static Tensor Unpool(Tensor t, Tensor idx, long oh, long ow)
    {
        var (n, c) = (t.shape[0], t.shape[1]);
        return torch.zeros([n, c, oh * ow], dtype: t.dtype).scatter(2, idx.flatten(2), t.flatten(2)).view(n, c, oh, ow);
    }

    private static Dictionary<string, double> Geo((int, int) k, (int, int) s, (int, int) p, (int, int) d, params (string, double)[] more) =>
        A([("kh", k.Item1), ("kw", k.Item2), ("sh", s.Item1), ("sw", s.Item2), ("ph", p.Item1), ("pw", p.Item2), ("dh", d.Item1), ("dw", d.Item2), .. more]);
}
