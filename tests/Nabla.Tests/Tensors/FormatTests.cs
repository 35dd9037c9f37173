namespace Nabla.Tests.Tensors;

/// <summary>
/// <see cref="Tensor.ToString"/> follows PyTorch's <c>repr</c> (torch/_tensor_str.py with the default print
/// options: precision 4, threshold 1000, edgeitems 3, linewidth 80); expected strings are PyTorch's output
/// with <c>torch.float64</c> written as Nabla's <c>Float64</c> and <c>MulBackward0</c> as <c>MulBackward</c>.
/// </summary>
public class FormatTests
{
    [Fact]
    public void Scalars()
    {
        Assert.Equal("tensor(3.)", Tensor.Scalar(3, DType.Float32).ToString());
        Assert.Equal("tensor(3., dtype=Float64)", Tensor.Scalar(3).ToString());
        Assert.Equal("tensor(2.5000)", Tensor.Scalar(2.5, DType.Float32).ToString());
        Assert.Equal("tensor(-0.1000)", Tensor.Scalar(-0.1, DType.Float32).ToString());
        Assert.Equal("tensor(7)", Tensor.Scalar(7, DType.Int64).ToString());
        Assert.Equal("tensor(True)", Tensor.Scalar(1, DType.Bool).ToString());
        Assert.Equal("tensor(1.0000e-05)", Tensor.Scalar(1e-5, DType.Float32).ToString());
    }

    [Fact]
    public void Vectors()
    {
        Assert.Equal("tensor([1.0000, 2.5000])", Tensor.FromArray([1f, 2.5f]).ToString());
        Assert.Equal("tensor([-1.5000,  2.0000])", Tensor.FromArray([-1.5f, 2f]).ToString());
        Assert.Equal("tensor([1.5000], dtype=Float64)", Tensor.FromArray([1.5]).ToString());
    }

    [Fact]
    public void Integral_floats_print_with_a_trailing_point()
    {
        Assert.Equal("tensor([1., 2.])", Tensor.FromArray([1f, 2f]).ToString());
        Assert.Equal("tensor([ 0., 10.])", Tensor.FromArray([0f, 10f]).ToString());
        Assert.Equal("tensor([-3.,  4.])", Tensor.FromArray([-3f, 4f]).ToString());
        Assert.Equal("tensor([0., 0., 0.])", Tensor.Zeros([3]).ToString());
    }

    [Fact]
    public void Matrices_one_row_per_line_with_aligned_columns()
    {
        var m = Tensor.FromArray(new float[,] { { 1, 2.5f }, { 3, 4 } });
        Assert.Equal("tensor([[1.0000, 2.5000],\n        [3.0000, 4.0000]])", m.ToString());

        var wide = Tensor.FromArray(new float[,] { { 1, -10.5f }, { 100, 2 } });
        Assert.Equal("tensor([[  1.0000, -10.5000],\n        [100.0000,   2.0000]])", wide.ToString());

        var h = Tensor.FromArray(new double[,] { { 128, 0 }, { 0, 72 } });
        Assert.Equal("tensor([[128.,   0.],\n        [  0.,  72.]], dtype=Float64)", h.ToString());
    }

    [Fact]
    public void Three_dimensional_blocks_are_separated_by_a_blank_line()
    {
        var t = Tensor.Arange(0, 8, 1, DType.Float32).Reshape(2, 2, 2);
        Assert.Equal(
            "tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]])",
            t.ToString());
    }

    [Fact]
    public void Int64_and_Bool()
    {
        Assert.Equal("tensor([1, 2, 3])", Tensor.FromArray([1L, 2L, 3L]).ToString());
        Assert.Equal("tensor([  1, -20, 300])", Tensor.FromArray([1L, -20L, 300L]).ToString());
        Assert.Equal("tensor([ True, False])", Tensor.FromArray([true, false]).ToString());
        Assert.Equal("tensor([[ True],\n        [False]])", Tensor.FromArray([true, false], [2, 1]).ToString());
        Assert.Equal("tensor([1, 2, 3])", Tensor.FromArray([1f, 2f, 3f]).To(DType.Int64).ToString());
    }

    [Fact]
    public void Scientific_notation()
    {
        // Non-integral with min |x| < 1e-4.
        Assert.Equal("tensor([1.0000e-05, 1.0000e+00])", Tensor.FromArray([1e-5f, 1f]).ToString());
        // Integral values whose range exceeds 1000 switch to scientific too (not only above 1e8).
        Assert.Equal("tensor([1.0000e+00, 1.0000e+04])", Tensor.FromArray([1f, 10000f]).ToString());
        Assert.Equal("tensor([1.0000e+00, 2.0000e+09])", Tensor.FromArray([1f, 2e9f]).ToString());
        Assert.Equal("tensor([ 1.0000e-03, -1.0000e+02])", Tensor.FromArray([1e-3f, -100f]).ToString());
        // A ratio of exactly 1000 stays fixed-point.
        Assert.Equal("tensor([   1., 1000.])", Tensor.FromArray([1f, 1000f]).ToString());
    }

    [Fact]
    public void Nan_and_inf_do_not_widen_the_columns()
    {
        Assert.Equal("tensor([1., nan, inf])", Tensor.FromArray([1f, float.NaN, float.PositiveInfinity]).ToString());
        Assert.Equal("tensor([1.5000,    nan])", Tensor.FromArray([1.5f, float.NaN]).ToString());
        Assert.Equal("tensor([-inf, nan])", Tensor.FromArray([float.NegativeInfinity, float.NaN]).ToString());
    }

    [Fact]
    public void Empty_tensors()
    {
        Assert.Equal("tensor([])", Tensor.Zeros([0]).ToString());
        Assert.Equal("tensor([], dtype=Int64)", Tensor.Zeros([0], DType.Int64).ToString());
        Assert.Equal("tensor([], dtype=Bool)", Tensor.Zeros([0], DType.Bool).ToString());
        Assert.Equal("tensor([], dtype=Float64)", Tensor.Zeros([0], DType.Float64).ToString());
        Assert.Equal("tensor([], size=(2, 0))", Tensor.Zeros([2, 0]).ToString());
    }

    [Fact]
    public void Autograd_suffixes()
    {
        var a = Tensor.FromArray([1f, 2f]).RequireGrad();
        Assert.Equal("tensor([1., 2.], requires_grad=True)", a.ToString());
        Assert.Equal("tensor([2., 4.], grad_fn=<MulBackward>)", (a * 2.0).ToString());
        Assert.Equal("tensor(3., grad_fn=<SumBackward>)", a.Sum().ToString());
        var d = Tensor.FromArray([0.5]).RequireGrad();
        Assert.Equal("tensor([1.5000], dtype=Float64, grad_fn=<AddBackward>)", (d + 1.0).ToString());
        Assert.Equal("tensor([1., 2.])", a.Detach().ToString());
    }

    [Fact]
    public void Long_vectors_wrap_at_80_columns()
    {
        // torch.arange(20.): element width 3 + ", " → (80 − 7) / 5 = 14 per line.
        Assert.Equal(
            "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n        14., 15., 16., 17., 18., 19.])",
            Tensor.Arange(0, 20, 1, DType.Float32).ToString());
    }

    [Fact]
    public void Suffixes_move_to_a_new_line_past_80_columns()
    {
        var t = Tensor.Full([9], 1.5).RequireGrad();
        Assert.Equal(
            "tensor([1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000],\n       requires_grad=True)",
            t.ToString());
    }

    [Fact]
    public void Summarisation_above_1000_elements()
    {
        Assert.Equal(1000, Tensor.Ones([1000]).ToString().Split("1.").Length - 1);
        Assert.Equal("tensor([1., 1., 1.,  ..., 1., 1., 1.])", Tensor.Ones([1001]).ToString());
        Assert.Equal("tensor([   0,    1,    2,  ..., 1997, 1998, 1999])", Tensor.Arange(2000).ToString());

        // Only the shown values choose the format: 0, 1, 2, 9997, 9998, 9999 has a range above 1000 → scientific,
        // and the 7 items of width 10 wrap at 6 per line.
        Assert.Equal(
            "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 9.9970e+03, 9.9980e+03,\n        9.9990e+03])",
            Tensor.Arange(0, 10000, 1, DType.Float32).ToString());

        var row = "[0., 0., 0.,  ..., 0., 0., 0.]";
        Assert.Equal(
            $"tensor([{row},\n        {row},\n        {row},\n        ...,\n        {row},\n        {row},\n        {row}])",
            Tensor.Zeros([100, 100]).ToString());

        // A large middle value that is not shown does not affect the format.
        var v = Tensor.Ones([2000]);
        using (GradMode.NoGrad())
        {
            v.Narrow(0, 1000, 1).FillInPlace(12345.678);
        }

        Assert.Equal("tensor([1., 1., 1.,  ..., 1., 1., 1.])", v.ToString());
    }

    [Fact]
    public void Summarised_three_dimensional()
    {
        var s = Tensor.Zeros([8, 2, 100]).ToString();
        var row = "[0., 0., 0.,  ..., 0., 0., 0.]";
        var block = $"[{row},\n         {row}]";
        Assert.Equal(
            $"tensor([{block},\n\n        {block},\n\n        {block},\n\n        ...,\n\n        {block},\n\n        {block},\n\n        {block}])",
            s);
    }

    [Fact]
    public void Views_print_their_own_elements()
    {
        var m = Tensor.Arange(0, 6, 1, DType.Float32).Reshape(2, 3);
        Assert.Equal("tensor([[0., 3.],\n        [1., 4.],\n        [2., 5.]])", m.T.ToString());
        Assert.Equal("tensor([1., 4.])", m.Select(1, 1).ToString());
        Assert.Equal("tensor([[7., 7., 7.],\n        [7., 7., 7.]])", Tensor.Full([1, 3], 7).Expand(2, 3).ToString());
    }

    [Fact]
    public void Rounding_is_half_to_even_like_python()
    {
        // 0.03125 = 1/32 is an exact tie at 4 decimals: Python's "{:.4f}" gives 0.0312 (half to even).
        Assert.Equal("tensor([0.0312, 0.0938, 1.0000])", Tensor.FromArray([0.03125f, 0.09375f, 1f]).ToString());
        Assert.Equal("tensor([1.0312e+00, 1.0000e-05])", Tensor.FromArray([1.03125, 1e-5]).ToString().Replace(", dtype=Float64", string.Empty, StringComparison.Ordinal));
        Assert.Equal("tensor([1.2346e+100,  1.0000e+00], dtype=Float64)", Tensor.FromArray([1.23456e100, 1]).ToString());
    }

    [Fact]
    public void Large_int64_values_print_exactly()
    {
        Assert.Equal("tensor([9007199254740993,                1])", Tensor.FromArray([9007199254740993L, 1L]).ToString());
        Assert.Equal("tensor(-9223372036854775808)", Tensor.Full(Shape.Scalar, 0, DType.Int64).CopyInPlace(Tensor.FromArray([long.MinValue]).Reshape(Shape.Scalar)).ToString());
    }
}
