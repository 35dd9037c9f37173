using TorchSharp;
using static TorchSharp.torch;
using static GoldenGen.Harness;
using static GoldenGen.Program;
using TF = TorchSharp.torch.nn.functional;

namespace GoldenGen;

/// <summary>
/// 3-D layers: Conv3d (stride, padding, dilation, groups, depthwise, pointwise, no bias, non-cubic kernels, padding
/// "same" with even kernels and dilation through libtorch's own module, "valid", unbatched), MaxPool3d (padding,
/// dilation, ceil_mode; plus `indices`), AvgPool3d (padding, ceil_mode, count_include_pad false, divisor_override) and
/// AdaptiveAvgPool3d (shrinking, to 1, growing, unbatched). Arguments per axis: kd, kh, kw, sd, sh, sw, pd, ph, pw, dd,
/// dh, dw; conv: in_channels, out_channels, groups, bias, mode ("same" or "valid" in the case's mode); adaptive: od, oh, ow.
/// </summary>
public static class Volumetric
{
    private static readonly (string, Tensor)[] None = [];

    public static List<Case> All()
    {
        var cases = new List<Case>();
        using var scope = torch.NewDisposeScope();
        Reseed(30_000); // its own seeds: the file is the same whether or not the generators before it ran
        Convs(cases);
        MaxPools(cases);
        AvgPools(cases);
        Adaptive(cases);
        return cases;
    }

    private static void Convs(List<Case> cases)
    {
        foreach (var (name, cin, cout, k, s, p, d, g, bias, x, mode) in new[]
        {
            ("conv3d_basic", 2, 3, (3, 3, 3), (1, 1, 1), (1, 1, 1), (1, 1, 1), 1, true, new long[] { 2, 2, 4, 5, 5 }, ""),
            ("conv3d_strided_noncubic", 2, 4, (3, 2, 3), (2, 1, 2), (1, 0, 1), (1, 1, 1), 1, true, new long[] { 1, 2, 6, 5, 7 }, ""),
            ("conv3d_dilated_grouped_nobias", 4, 6, (2, 3, 2), (1, 1, 1), (1, 1, 0), (2, 1, 2), 2, false, new long[] { 2, 4, 5, 6, 5 }, ""),
            ("conv3d_depthwise_stride2", 3, 3, (3, 3, 3), (2, 2, 2), (1, 1, 1), (1, 1, 1), 3, true, new long[] { 1, 3, 5, 5, 5 }, ""),
            ("conv3d_pointwise", 3, 2, (1, 1, 1), (1, 1, 1), (0, 0, 0), (1, 1, 1), 1, true, new long[] { 2, 3, 2, 3, 4 }, ""),
            ("conv3d_all", 4, 4, (2, 2, 3), (2, 3, 1), (0, 1, 1), (1, 2, 1), 2, true, new long[] { 2, 4, 5, 7, 6 }, ""),
            ("conv3d_unbatched", 2, 3, (2, 2, 2), (1, 1, 1), (0, 0, 0), (1, 1, 1), 1, true, new long[] { 2, 3, 4, 3 }, ""),
            ("conv3d_same_even_dilated", 2, 3, (2, 3, 4), (1, 1, 1), (0, 0, 0), (1, 2, 1), 1, true, new long[] { 1, 2, 4, 6, 5 }, "same"),
            ("conv3d_valid", 2, 2, (2, 2, 2), (1, 1, 1), (0, 0, 0), (1, 1, 1), 1, false, new long[] { 1, 2, 3, 3, 4 }, "valid"),
        })
        {
            using var sc = torch.NewDisposeScope();
            var w = P(0.3, [cout, cin / g, k.Item1, k.Item2, k.Item3]);
            var b = bias ? P(0.3, [cout]) : null;
            var ps = new List<(string, Tensor)> { ("weight", w) };
            Func<Tensor, Tensor> f = t => TF.conv3d(t, w, b, L(s), L(p), L(d), g);
            if (mode != "")
            {
                // libtorch's own padding="same"/"valid" (asymmetric padding for even kernels): the module, with these weights.
                var m = nn.Conv3d(cin, cout, (k.Item1, k.Item2, k.Item3), mode == "same" ? Padding.Same : Padding.Valid,
                    dilation: (d.Item1, d.Item2, d.Item3), groups: g, bias: bias, dtype: float64);
                using (torch.no_grad())
                {
                    m.weight!.copy_(w);
                    m.bias?.copy_(b!);
                }

                (w, b) = (m.weight!, m.bias);
                ps = [("weight", w)];
                f = t => m.forward(t);
            }

            if (b is not null)
            {
                ps.Add(("bias", b));
            }

            cases.Add(Run(name, "conv3d", mode, Geo(k, s, p, d, ("in_channels", cin), ("out_channels", cout), ("groups", g), ("bias", bias ? 1 : 0)),
                N(1, x), ps, f));
        }
    }

    private static void MaxPools(List<Case> cases)
    {
        foreach (var (name, k, s, p, d, ceil, x) in new[]
        {
            ("max_pool3d_k2", (2, 2, 2), (2, 2, 2), (0, 0, 0), (1, 1, 1), false, new long[] { 1, 2, 4, 6, 5 }),
            ("max_pool3d_pad_dilation_ceil", (3, 3, 3), (2, 2, 2), (1, 1, 1), (2, 2, 2), true, new long[] { 1, 2, 7, 8, 9 }),
            ("max_pool3d_noncubic", (2, 3, 2), (1, 2, 2), (1, 1, 0), (1, 1, 2), false, new long[] { 1, 3, 4, 7, 9 }),
            ("max_pool3d_noncubic_ceil", (3, 2, 2), (2, 2, 3), (1, 0, 1), (1, 1, 1), true, new long[] { 1, 2, 6, 5, 8 }),
            ("max_pool3d_unbatched_overlapping", (2, 2, 2), (1, 1, 1), (0, 0, 0), (1, 1, 1), false, new long[] { 2, 3, 4, 3 }),
        })
        {
            using var sc = torch.NewDisposeScope();
            Tensor? idx = null;
            var c = Run(name, "max_pool3d", "", Geo(k, s, p, d, ("ceil_mode", ceil ? 1 : 0)), N(1, x), None, t =>
            {
                var (y, i) = TF.max_pool3d_with_indices(t, L(k), L(s), L(p), L(d), ceil);
                idx = i;
                return y;
            });
            c.tensors["indices"] = Pack(idx!);
            cases.Add(c);
        }
    }

    private static void AvgPools(List<Case> cases)
    {
        foreach (var (name, k, s, p, ceil, cip, div, x) in new[]
        {
            ("avg_pool3d_k2", (2, 2, 2), (2, 2, 2), (0, 0, 0), false, true, 0, new long[] { 1, 2, 4, 6, 5 }),
            ("avg_pool3d_pad_ceil", (3, 3, 3), (2, 2, 2), (1, 1, 1), true, true, 0, new long[] { 1, 2, 6, 7, 8 }),
            ("avg_pool3d_pad_ceil_exclude_pad", (3, 3, 3), (2, 2, 2), (1, 1, 1), true, false, 0, new long[] { 1, 2, 6, 7, 8 }),
            ("avg_pool3d_divisor_override", (2, 3, 2), (1, 2, 1), (1, 1, 0), false, true, 5, new long[] { 1, 2, 4, 6, 5 }),
            ("avg_pool3d_noncubic_exclude_pad", (3, 2, 3), (2, 1, 2), (1, 1, 1), false, false, 0, new long[] { 1, 3, 5, 4, 7 }),
            ("avg_pool3d_ceil_window_cut", (2, 2, 2), (2, 2, 2), (1, 1, 1), true, true, 0, new long[] { 1, 1, 5, 4, 6 }),
            ("avg_pool3d_unbatched", (2, 2, 2), (1, 2, 1), (0, 0, 0), false, true, 0, new long[] { 2, 3, 4, 3 }),
        })
        {
            using var sc = torch.NewDisposeScope();
            cases.Add(Run(name, "avg_pool3d", "", Geo(k, s, p, (1, 1, 1), ("ceil_mode", ceil ? 1 : 0), ("count_include_pad", cip ? 1 : 0), ("divisor_override", div)),
                N(1, x), None, t => TF.avg_pool3d(t, L(k), L(s), L(p), ceil, cip, div == 0 ? null : div)));
        }
    }

    private static void Adaptive(List<Case> cases)
    {
        foreach (var (name, o, x) in new[]
        {
            ("adaptive_avg_pool3d_shrink", (3, 2, 4), new long[] { 1, 2, 7, 5, 9 }),
            ("adaptive_avg_pool3d_to_1", (1, 1, 1), new long[] { 2, 2, 4, 4, 4 }),
            ("adaptive_avg_pool3d_grow", (5, 3, 3), new long[] { 1, 2, 3, 4, 2 }),
            ("adaptive_avg_pool3d_unbatched", (2, 3, 4), new long[] { 2, 5, 6, 7 }),
        })
        {
            using var sc = torch.NewDisposeScope();
            cases.Add(Run(name, "adaptive_avg_pool3d", "", A(("od", o.Item1), ("oh", o.Item2), ("ow", o.Item3)), N(1, x), None,
                t => TF.adaptive_avg_pool3d(t, L(o))));
        }
    }

    private static long[] L((int, int, int) t) => [t.Item1, t.Item2, t.Item3];

    private static Dictionary<string, double> Geo((int, int, int) k, (int, int, int) s, (int, int, int) p, (int, int, int) d, params (string, double)[] more) =>
        A([("kd", k.Item1), ("kh", k.Item2), ("kw", k.Item3), ("sd", s.Item1), ("sh", s.Item2), ("sw", s.Item3), ("pd", p.Item1), ("ph", p.Item2), ("pw", p.Item3),
           ("dd", d.Item1), ("dh", d.Item2), ("dw", d.Item3), .. more]);
}
