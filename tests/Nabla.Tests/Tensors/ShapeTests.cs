namespace Nabla.Tests.Tensors;

/// <summary><see cref="Shape"/>: value equality, indexing, collection expressions and broadcasting.</summary>
public class ShapeTests
{
    [Fact]
    public void Equality_is_element_wise()
    {
        Shape a = [2, 3];
        var b = new Shape(2, 3);
        Assert.Equal(a, b);
        Assert.True(a == b);
        Assert.False(a != b);
        Assert.True(a.Equals((object)b));
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, new Shape(3, 2));
        Assert.NotEqual(a, new Shape(2, 3, 1));
        Assert.True(default(Shape) == Shape.Scalar);
        Assert.Equal(Shape.Scalar, []);
    }

    [Fact]
    public void Shape_copies_its_input()
    {
        var dims = new[] { 4, 5 };
        var s = new Shape(dims);
        dims[0] = 9;
        Assert.Equal(4, s[0]);
        var arr = s.ToArray();
        arr[1] = 9;
        Assert.Equal(5, s[1]);
    }

    [Fact]
    public void Collection_expressions_and_members()
    {
        Shape s = [2, 3, 4];
        Assert.Equal(3, s.Rank);
        Assert.Equal(3, s.Count);
        Assert.Equal(24, s.Numel);
        Assert.Equal(4, s[-1]);
        Assert.Equal(2, s[-3]);
        Assert.Equal([2, 3, 4], s.ToArray());
        Assert.Equal([2, 3, 4], s.ToList());
        Assert.Equal("[2, 3, 4]", s.ToString());
        Assert.Equal("[]", Shape.Scalar.ToString());
        Assert.Equal(1, Shape.Scalar.Numel);
        Assert.Equal([12, 4, 1], s.ContiguousStrides());
        Assert.Equal(new Shape(2, 3, 7), s.WithLastDim(7));
        Assert.Equal(new Shape(2, 9, 4), s.With(-2, 9));
        Assert.Equal(0, new Shape(3, 0).Numel);
    }

    [Fact]
    public void Invalid_dimensions_throw()
    {
        Shape s = [2, 3];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => s[2]);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => s[-3]);
        Assert.Throws<ArgumentException>(() => new Shape(2, -1));
    }

    [Theory]
    [InlineData(new[] { 2, 1, 3 }, new[] { 4, 3 }, new[] { 2, 4, 3 })]
    [InlineData(new int[0], new[] { 3 }, new[] { 3 })]
    [InlineData(new[] { 5, 1 }, new[] { 1, 6 }, new[] { 5, 6 })]
    [InlineData(new[] { 1 }, new[] { 0 }, new[] { 0 })]
    [InlineData(new[] { 3, 1, 2 }, new[] { 3, 1, 2 }, new[] { 3, 1, 2 })]
    public void Broadcast_aligns_right_and_stretches_ones(int[] a, int[] b, int[] expected)
    {
        Assert.Equal(new Shape(expected), Shape.Broadcast(new Shape(a), new Shape(b)));
        Assert.Equal(new Shape(expected), Shape.Broadcast(new Shape(b), new Shape(a)));
    }

    [Theory]
    [InlineData(new[] { 2, 3 }, new[] { 4 })]
    [InlineData(new[] { 2 }, new[] { 0 })]
    [InlineData(new[] { 4, 3 }, new[] { 2, 4, 2 })]
    public void Broadcast_mismatch_names_both_shapes(int[] a, int[] b)
    {
        var sa = new Shape(a);
        var sb = new Shape(b);
        var e = Assert.Throws<ArgumentException>(() => Shape.Broadcast(sa, sb, "add"));
        Assert.Contains(sa.ToString(), e.Message);
        Assert.Contains(sb.ToString(), e.Message);
        Assert.StartsWith("add", e.Message);
    }
}
