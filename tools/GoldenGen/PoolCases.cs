using TorchSharp;
using static TorchSharp.torch;
using static GoldenGen.Harness;
using static GoldenGen.Program;
using TF = TorchSharp.torch.nn.functional;

namespace GoldenGen;

/// <summary>Pooling (max/avg/adaptive), Upsample (nearest, bilinear), ZeroPad2d, Flatten and Unflatten.</summary>
public static class PoolCases
{
    public static List<Case> All()
    {
        var cases = new List<Case>();
        using var scope = torch.NewDisposeScope();
        var none = Array.Empty<(string, Tensor)>();

        // MaxPool2d (kernel, stride, padding, dilation, ceil_mode); every case also stores the indices.
        var mp2 = new (string Name, int K, int S, int P, int D, bool Ceil, (int, int) Hw)[]
        {
            ("max_pool2d_k2", 2, 2, 0, 1, false, (6, 6)),
            ("max_pool2d_k3_s2_p1", 3, 2, 1, 1, false, (7, 6)),
            ("max_pool2d_k3_s1_p1", 3, 1, 1, 1, false, (5, 4)),
            ("max_pool2d_dilation2", 2, 1, 0, 2, false, (6, 5)),
            ("max_pool2d_dilation2_pad1", 3, 2, 1, 2, false, (7, 7)),
            ("max_pool2d_ceil", 3, 2, 0, 1, true, (6, 7)),
            ("max_pool2d_ceil_pad1", 2, 2, 1, 1, true, (5, 6)),
            ("max_pool2d_ceil_nonsquare", 2, 3, 0, 1, true, (5, 8)),
        };
        foreach (var (name, k, s, p, d, ceil, (h, w)) in mp2)
        {
            using var sc = torch.NewDisposeScope();
            Tensor? idx = null;
            var c = Run(name, "max_pool2d", "", A(("kernel_size", k), ("stride", s), ("padding", p), ("dilation", d), ("ceil_mode", ceil ? 1 : 0)),
                N(1, 2, 3, h, w), none, t =>
                {
                    var (y, i) = TF.max_pool2d_with_indices(t, [k, k], [s, s], [p, p], [d, d], ceil);
                    idx = i;
                    return y;
                });
            c.tensors["indices"] = Pack(idx!);
            cases.Add(c);
        }

        // Ties (integer-valued input, as after a ReLU): the gradient goes to the first maximum in scan order.
        foreach (var (name, k, s, p) in new[] { ("max_pool2d_ties_k2", 2, 2, 0), ("max_pool2d_ties_k3_s1_p1", 3, 1, 1) })
        {
            using var sc = torch.NewDisposeScope();
            Tensor? idx = null;
            var c = Run(name, "max_pool2d", "", A(("kernel_size", k), ("stride", s), ("padding", p), ("dilation", 1), ("ceil_mode", 0)),
                TF.relu(N(1, 2, 2, 5, 6).round()), none, t =>
                {
                    var (y, i) = TF.max_pool2d_with_indices(t, [k, k], [s, s], [p, p], [1, 1], false);
                    idx = i;
                    return y;
                });
            c.tensors["indices"] = Pack(idx!);
            cases.Add(c);
        }

        {
            using var sc = torch.NewDisposeScope();
            cases.Add(Run("adaptive_max_pool2d_ties", "adaptive_max_pool2d", "", A(("oh", 3), ("ow", 2)), TF.relu(N(1, 2, 2, 7, 5).round()), none,
                t => TF.adaptive_max_pool2d(t, [3, 2])));
        }

        var mp1 = new (string Name, int K, int S, int P, int D, bool Ceil, int L)[]
        {
            ("max_pool1d_k2", 2, 2, 0, 1, false, 8),
            ("max_pool1d_k3_s2_p1", 3, 2, 1, 1, false, 9),
            ("max_pool1d_dilation2", 3, 1, 1, 2, false, 8),
            ("max_pool1d_ceil", 3, 2, 0, 1, true, 8),
        };
        foreach (var (name, k, s, p, d, ceil, l) in mp1)
        {
            using var sc = torch.NewDisposeScope();
            Tensor? idx = null;
            var c = Run(name, "max_pool1d", "", A(("kernel_size", k), ("stride", s), ("padding", p), ("dilation", d), ("ceil_mode", ceil ? 1 : 0)),
                N(1, 2, 3, l), none, t =>
                {
                    var (y, i) = TF.max_pool1d_with_indices(t, k, s, p, d, ceil);
                    idx = i;
                    return y;
                });
            c.tensors["indices"] = Pack(idx!);
            cases.Add(c);
        }

        // AvgPool2d (kernel, stride, padding, ceil_mode, count_include_pad, divisor_override or 0).
        var ap2 = new (string Name, int K, int S, int P, bool Ceil, bool Cip, int Div, (int, int) Hw)[]
        {
            ("avg_pool2d_k2", 2, 2, 0, false, true, 0, (6, 4)),
            ("avg_pool2d_k3_s2_p1", 3, 2, 1, false, true, 0, (7, 6)),
            ("avg_pool2d_k3_s2_p1_exclude_pad", 3, 2, 1, false, false, 0, (7, 6)),
            ("avg_pool2d_ceil", 3, 2, 0, true, true, 0, (6, 7)),
            ("avg_pool2d_ceil_pad1", 2, 2, 1, true, true, 0, (5, 6)),
            ("avg_pool2d_ceil_pad1_exclude_pad", 2, 2, 1, true, false, 0, (5, 6)),
            ("avg_pool2d_divisor_override", 3, 2, 1, false, true, 5, (6, 5)),
            ("avg_pool2d_divisor_override_ceil", 2, 2, 1, true, false, 3, (5, 4)),
        };
        foreach (var (name, k, s, p, ceil, cip, div, (h, w)) in ap2)
        {
            using var sc = torch.NewDisposeScope();
            cases.Add(Run(name, "avg_pool2d", "", A(("kernel_size", k), ("stride", s), ("padding", p), ("ceil_mode", ceil ? 1 : 0),
                ("count_include_pad", cip ? 1 : 0), ("divisor_override", div)), N(1, 2, 3, h, w), none,
                t => TF.avg_pool2d(t, [k, k], [s, s], [p, p], ceil, cip, div == 0 ? null : div)));
        }

        var ap1 = new (string Name, int K, int S, int P, bool Ceil, bool Cip, int L)[]
        {
            ("avg_pool1d_k2", 2, 2, 0, false, true, 8),
            ("avg_pool1d_k3_s2_p1", 3, 2, 1, false, true, 9),
            ("avg_pool1d_k3_s2_p1_exclude_pad", 3, 2, 1, false, false, 9),
            ("avg_pool1d_ceil_pad1", 2, 2, 1, true, true, 7),
        };
        foreach (var (name, k, s, p, ceil, cip, l) in ap1)
        {
            using var sc = torch.NewDisposeScope();
            cases.Add(Run(name, "avg_pool1d", "", A(("kernel_size", k), ("stride", s), ("padding", p), ("ceil_mode", ceil ? 1 : 0),
                ("count_include_pad", cip ? 1 : 0)), N(1, 2, 3, l), none, t => TF.avg_pool1d(t, k, s, p, ceil, cip)));
        }

        // Adaptive pooling, including sizes that do not divide (7 → 3) and upsizing (3 → 5).
        foreach (var (l, o) in new[] { (7, 3), (10, 4), (6, 6), (3, 5), (5, 1) })
        {
            using var sc = torch.NewDisposeScope();
            cases.Add(Run($"adaptive_avg_pool1d_{l}to{o}", "adaptive_avg_pool1d", "", A(("output_size", o)), N(1, 2, 3, l), none,
                t => TF.adaptive_avg_pool1d(t, o)));
        }

        foreach (var ((h, w), (oh, ow)) in new[] { ((7, 5), (3, 2)), ((6, 6), (4, 4)), ((5, 9), (2, 4)), ((4, 4), (1, 1)), ((3, 4), (5, 3)) })
        {
            using var sc = torch.NewDisposeScope();
            var args = A(("oh", oh), ("ow", ow));
            var x = N(1, 2, 3, h, w);
            cases.Add(Run($"adaptive_avg_pool2d_{h}x{w}to{oh}x{ow}", "adaptive_avg_pool2d", "", args, x, none, t => TF.adaptive_avg_pool2d(t, [oh, ow])));
            cases.Add(Run($"adaptive_max_pool2d_{h}x{w}to{oh}x{ow}", "adaptive_max_pool2d", "", args, N(1, 2, 3, h, w), none, t => TF.adaptive_max_pool2d(t, [oh, ow])));
        }

        // Upsample / interpolate: size (oh, ow) or scale factor; nearest and bilinear with align_corners true/false.
        var up = new (string Name, string Mode, int Ac, (int, int) Hw, (int, int) Size, double Scale)[]
        {
            ("upsample_nearest_scale2", "nearest", -1, (3, 4), (0, 0), 2),
            ("upsample_nearest_scale3", "nearest", -1, (2, 3), (0, 0), 3),
            ("upsample_nearest_size_odd", "nearest", -1, (3, 4), (7, 5), 0),
            ("upsample_nearest_downsize", "nearest", -1, (7, 6), (3, 4), 0),
            ("upsample_bilinear_scale2", "bilinear", 0, (3, 4), (0, 0), 2),
            ("upsample_bilinear_scale2_align", "bilinear", 1, (3, 4), (0, 0), 2),
            ("upsample_bilinear_size_odd", "bilinear", 0, (3, 4), (7, 5), 0),
            ("upsample_bilinear_size_odd_align", "bilinear", 1, (3, 4), (7, 5), 0),
            ("upsample_bilinear_scale1.5", "bilinear", 0, (4, 3), (0, 0), 1.5),
            ("upsample_bilinear_downsize_align", "bilinear", 1, (7, 6), (3, 4), 0),
            ("upsample_bilinear_downsize", "bilinear", 0, (7, 6), (3, 4), 0),
            ("upsample_nearest_scale1.5", "nearest", -1, (4, 3), (0, 0), 1.5),
        };
        foreach (var (name, mode, ac, (h, w), (oh, ow), scale) in up)
        {
            using var sc = torch.NewDisposeScope();
            var im = mode == "nearest" ? InterpolationMode.Nearest : InterpolationMode.Bilinear;
            bool? align = ac < 0 ? null : ac == 1;
            var args = A(("oh", oh), ("ow", ow), ("scale_factor", scale), ("align_corners", ac));
            cases.Add(Run(name, "upsample", mode, args, N(1, 2, 2, h, w), none,
                t => scale > 0 ? TF.interpolate(t, scale_factor: [scale, scale], mode: im, align_corners: align)
                    : TF.interpolate(t, size: [oh, ow], mode: im, align_corners: align)));
        }

        // Linear (1-D) interpolation of (N, C, L).
        foreach (var (name, ac, l, o, scale) in new[] { ("upsample_linear_size", 0, 4, 7, 0.0), ("upsample_linear_size_align", 1, 4, 7, 0.0),
            ("upsample_linear_scale2", 0, 3, 0, 2.0) })
        {
            using var sc = torch.NewDisposeScope();
            cases.Add(Run(name, "upsample", "linear", A(("ol", o), ("scale_factor", scale), ("align_corners", ac)), N(1, 2, 2, l), none,
                t => scale > 0 ? TF.interpolate(t, scale_factor: [scale], mode: InterpolationMode.Linear, align_corners: ac == 1)
                    : TF.interpolate(t, size: [o], mode: InterpolationMode.Linear, align_corners: ac == 1)));
        }

        // ZeroPad2d (left, right, top, bottom), Flatten, Unflatten.
        foreach (var (l, r, t, b) in new[] { (1, 1, 1, 1), (1, 2, 0, 3) })
        {
            using var sc = torch.NewDisposeScope();
            cases.Add(Run($"zero_pad2d_{l}{r}{t}{b}", "zero_pad2d", "", A(("left", l), ("right", r), ("top", t), ("bottom", b)), N(1, 2, 2, 3, 4), none,
                x => TF.pad(x, [l, r, t, b])));
        }

        foreach (var (s, e) in new[] { (1, -1), (0, 1), (2, 3) })
        {
            using var sc = torch.NewDisposeScope();
            cases.Add(Run($"flatten_{s}_{e}", "flatten", "", A(("start_dim", s), ("end_dim", e)), N(1, 2, 3, 2, 4), none, x => x.flatten(s, e)));
        }

        {
            using var sc = torch.NewDisposeScope();
            cases.Add(Run("unflatten_1_3x4", "unflatten", "", A(("dim", 1), ("s0", 3), ("s1", 4)), N(1, 2, 12, 5), none, x => x.unflatten(1, [3, 4])));
            cases.Add(Run("unflatten_last_2x3", "unflatten", "", A(("dim", -1), ("s0", 2), ("s1", 3)), N(1, 4, 6), none, x => x.unflatten(1, [2, 3])));
        }

        return cases;
    }
}
