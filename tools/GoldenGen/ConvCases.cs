using TorchSharp;
using static TorchSharp.torch;
using static GoldenGen.Harness;
using TF = TorchSharp.torch.nn.functional;

namespace GoldenGen;

/// <summary>Conv1d, Conv2d (incl. padding "same"/"valid") and ConvTranspose2d in several configurations.</summary>
public static class ConvCases
{
    public static List<Case> All()
    {
        var cases = new List<Case>();
        using var scope = torch.NewDisposeScope();

        // Conv1d: (name, cin, cout, k, stride, padding, dilation, groups, bias, mode "", "same" or "valid", L).
        var c1 = new (string Name, int Cin, int Cout, int K, int S, int P, int D, int G, bool Bias, string Mode, int L)[]
        {
            ("conv1d_basic", 3, 4, 3, 1, 0, 1, 1, true, "", 9),
            ("conv1d_stride2_pad1", 3, 4, 3, 2, 1, 1, 1, true, "", 10),
            ("conv1d_dilation2_pad2", 2, 3, 3, 1, 2, 2, 1, true, "", 8),
            ("conv1d_groups2_nobias", 4, 6, 3, 1, 1, 1, 2, false, "", 7),
            ("conv1d_stride3_dil2_groups2", 4, 4, 2, 3, 1, 2, 2, true, "", 11),
            ("conv1d_same_k4", 3, 2, 4, 1, 0, 1, 1, true, "same", 7),
            ("conv1d_same_k3_dil2", 2, 3, 3, 1, 0, 2, 1, true, "same", 6),
            ("conv1d_valid", 3, 2, 3, 1, 0, 1, 1, true, "valid", 6),
        };
        foreach (var (name, cin, cout, k, s, p, d, g, bias, mode, l) in c1)
        {
            using var sc = torch.NewDisposeScope();
            var x = N(1, 2, cin, l);
            var w = P(0.4, [cout, cin / g, k]);
            var b = bias ? P(0.3, [cout]) : null;
            var ps = new List<(string, Tensor)> { ("weight", w) };
            if (b is not null)
            {
                ps.Add(("bias", b));
            }

            var args = A(("in_channels", cin), ("out_channels", cout), ("kernel_size", k), ("stride", s), ("padding", p),
                ("dilation", d), ("groups", g), ("bias", bias ? 1 : 0));
            Func<Tensor, Tensor> f;
            if (mode == "")
            {
                f = t => TF.conv1d(t, w, b, s, p, d, g);
            }
            else
            {
                // libtorch's own padding="same"/"valid" (asymmetric padding for even kernels): the module, with our weights.
                var m = nn.Conv1d(cin, cout, k, mode == "same" ? Padding.Same : Padding.Valid, dilation: d, groups: g, bias: bias, dtype: float64);
                using (torch.no_grad())
                {
                    m.weight!.copy_(w);
                    m.bias?.copy_(b!);
                }

                ps = [("weight", m.weight!)];
                if (bias)
                {
                    ps.Add(("bias", m.bias!));
                }

                f = t => m.forward(t);
            }

            cases.Add(Run(name, "conv1d", mode, args, x, ps, f));
        }

        // Conv2d with (kh, kw), (sh, sw), (ph, pw), (dh, dw).
        var c2 = new (string Name, int Cin, int Cout, (int, int) K, (int, int) S, (int, int) P, (int, int) D, int G, bool Bias, string Mode, (int, int) Hw)[]
        {
            ("conv2d_basic", 3, 4, (3, 3), (1, 1), (0, 0), (1, 1), 1, true, "", (6, 5)),
            ("conv2d_stride2", 3, 4, (3, 3), (2, 2), (0, 0), (1, 1), 1, true, "", (7, 8)),
            ("conv2d_pad1", 2, 3, (3, 3), (1, 1), (1, 1), (1, 1), 1, true, "", (5, 4)),
            ("conv2d_stride2_pad1", 3, 4, (3, 3), (2, 2), (1, 1), (1, 1), 1, true, "", (7, 6)),
            ("conv2d_dilation2", 2, 3, (3, 3), (1, 1), (2, 2), (2, 2), 1, true, "", (7, 6)),
            ("conv2d_groups2", 4, 6, (3, 3), (1, 1), (1, 1), (1, 1), 2, true, "", (5, 5)),
            ("conv2d_depthwise", 3, 6, (3, 3), (1, 1), (1, 1), (1, 1), 3, true, "", (4, 5)),
            ("conv2d_nonsquare_input", 2, 3, (3, 3), (1, 1), (0, 0), (1, 1), 1, true, "", (4, 9)),
            ("conv2d_rect_kernel", 2, 3, (3, 2), (2, 1), (1, 0), (1, 2), 1, true, "", (7, 6)),
            ("conv2d_nobias", 3, 2, (3, 3), (1, 1), (1, 1), (1, 1), 1, false, "", (5, 6)),
            ("conv2d_1x1", 4, 3, (1, 1), (1, 1), (0, 0), (1, 1), 1, true, "", (3, 4)),
            ("conv2d_same_k4", 2, 3, (4, 4), (1, 1), (0, 0), (1, 1), 1, true, "same", (5, 6)),
            ("conv2d_same_k2_nobias", 3, 2, (2, 2), (1, 1), (0, 0), (1, 1), 1, false, "same", (4, 5)),
            ("conv2d_same_k3_dil2", 2, 2, (3, 3), (1, 1), (0, 0), (2, 2), 1, true, "same", (6, 5)),
            ("conv2d_same_groups2", 4, 4, (3, 3), (1, 1), (0, 0), (1, 1), 2, true, "same", (4, 4)),
            ("conv2d_valid", 2, 3, (3, 3), (1, 1), (0, 0), (1, 1), 1, true, "valid", (5, 5)),
        };
        foreach (var (name, cin, cout, (kh, kw), (sh, sw), (ph, pw), (dh, dw), g, bias, mode, (h, wd)) in c2)
        {
            using var sc = torch.NewDisposeScope();
            var x = N(1, 2, cin, h, wd);
            var w = P(0.3, [cout, cin / g, kh, kw]);
            var b = bias ? P(0.3, [cout]) : null;
            var ps = new List<(string, Tensor)> { ("weight", w) };
            if (b is not null)
            {
                ps.Add(("bias", b));
            }

            var args = A(("in_channels", cin), ("out_channels", cout), ("kh", kh), ("kw", kw), ("sh", sh), ("sw", sw), ("ph", ph), ("pw", pw),
                ("dh", dh), ("dw", dw), ("groups", g), ("bias", bias ? 1 : 0));
            Func<Tensor, Tensor> f;
            if (mode == "")
            {
                f = t => TF.conv2d(t, w, b, [sh, sw], [ph, pw], [dh, dw], g);
            }
            else
            {
                var m = nn.Conv2d(cin, cout, kh, mode == "same" ? Padding.Same : Padding.Valid, dilation: dh, groups: g, bias: bias, dtype: float64);
                using (torch.no_grad())
                {
                    m.weight!.copy_(w);
                    m.bias?.copy_(b!);
                }

                ps = [("weight", m.weight!)];
                if (bias)
                {
                    ps.Add(("bias", m.bias!));
                }

                f = t => m.forward(t);
            }

            cases.Add(Run(name, "conv2d", mode, args, x, ps, f));
        }

        // ConvTranspose2d: weight (C_in, C_out/groups, k, k).
        var ct = new (string Name, int Cin, int Cout, int K, int S, int P, int Op, int G, int D, bool Bias, (int, int) Hw)[]
        {
            ("conv_transpose2d_basic", 3, 2, 3, 1, 0, 0, 1, 1, true, (4, 5)),
            ("conv_transpose2d_stride2", 2, 3, 3, 2, 0, 0, 1, 1, true, (3, 4)),
            ("conv_transpose2d_stride2_pad1", 2, 3, 3, 2, 1, 0, 1, 1, true, (4, 3)),
            ("conv_transpose2d_stride2_pad1_outpad1", 2, 3, 3, 2, 1, 1, 1, 1, true, (4, 4)),
            ("conv_transpose2d_k4_s2_p1", 3, 2, 4, 2, 1, 0, 1, 1, true, (3, 5)),
            ("conv_transpose2d_groups2", 4, 6, 3, 1, 1, 0, 2, 1, true, (4, 4)),
            ("conv_transpose2d_dilation2", 2, 2, 3, 1, 1, 0, 1, 2, true, (4, 5)),
            ("conv_transpose2d_all_nobias", 4, 2, 3, 3, 1, 2, 2, 2, false, (3, 4)),
        };
        foreach (var (name, cin, cout, k, s, p, op, g, d, bias, (h, wd)) in ct)
        {
            using var sc = torch.NewDisposeScope();
            var x = N(1, 2, cin, h, wd);
            var w = P(0.3, [cin, cout / g, k, k]);
            var b = bias ? P(0.3, [cout]) : null;
            var ps = new List<(string, Tensor)> { ("weight", w) };
            if (b is not null)
            {
                ps.Add(("bias", b));
            }

            var args = A(("in_channels", cin), ("out_channels", cout), ("kernel_size", k), ("stride", s), ("padding", p), ("output_padding", op),
                ("groups", g), ("dilation", d), ("bias", bias ? 1 : 0));
            cases.Add(Run(name, "conv_transpose2d", "", args, x, ps, t => TF.conv_transpose2d(t, w, b, [s, s], [p, p], [op, op], [d, d], g)));
        }

        return cases;
    }
}
