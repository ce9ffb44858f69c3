namespace AutoDiff.Gpu.Tests;

/// <summary>The shape algebra under broadcasting, reshaping and reductions (host only).</summary>
public sealed class ShapeTests
{
    [Theory]
    [InlineData(new[] { 2, 3 }, new[] { 3 }, new[] { 2, 3 })]
    [InlineData(new[] { 2, 1 }, new[] { 1, 3 }, new[] { 2, 3 })]
    [InlineData(new int[0], new[] { 4, 5 }, new[] { 4, 5 })]
    [InlineData(new[] { 8, 1, 6, 1 }, new[] { 7, 1, 5 }, new[] { 8, 7, 6, 5 })]
    public void Shapes_broadcast_as_in_NumPy(int[] a, int[] b, int[] expected)
    {
        Assert.Equal(new Shape(expected), Shape.Broadcast(new Shape(a), new Shape(b)));
        Assert.Equal(new Shape(expected), Shape.Broadcast(new Shape(b), new Shape(a)));
        Assert.True(new Shape(a).BroadcastsTo(new Shape(expected)));
    }

    [Fact]
    public void Shapes_that_do_not_broadcast_name_both()
    {
        var e = Assert.Throws<ArgumentException>(() => Shape.Broadcast(new Shape(2, 3), new Shape(4)));
        Assert.Contains("(2, 3)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(4,)", e.Message, StringComparison.Ordinal);
        Assert.False(new Shape(2, 3).BroadcastsTo(new Shape(3)));
    }

    [Fact]
    public void Broadcast_strides_are_zero_along_broadcast_dimensions()
    {
        Assert.Equal([0L, 1L], new Shape(3).BroadcastStrides(new Shape(2, 3)));
        Assert.Equal([1L, 0L], new Shape(2, 1).BroadcastStrides(new Shape(2, 3)));
        Assert.Equal([0L, 0L], Shape.Scalar.BroadcastStrides(new Shape(2, 3)));
        Assert.Equal([12L, 4L, 1L], new Shape(2, 3, 4).Strides());
    }

    [Fact]
    public void Sum_to_axes_follow_DeZero()
    {
        Assert.Equal([0], new Shape(2, 3).SumToAxes(new Shape(3)));
        Assert.Equal([1], new Shape(2, 3).SumToAxes(new Shape(2, 1)));
        Assert.Equal([0, 1], new Shape(2, 3).SumToAxes(Shape.Scalar));
        Assert.Equal([0, 2], new Shape(4, 2, 3).SumToAxes(new Shape(2, 1)));
        Assert.Empty(new Shape(2, 3).SumToAxes(new Shape(2, 3)));
        Assert.Throws<ArgumentException>(() => new Shape(2, 3).SumToAxes(new Shape(4)));
    }

    [Fact]
    public void Reshape_infers_one_dimension_and_checks_the_count()
    {
        Assert.Equal(new Shape(3, 4), new Shape(2, 6).Reshape(3, -1));
        Assert.Equal(new Shape(12), new Shape(2, 6).Reshape(-1));
        var e = Assert.Throws<ArgumentException>(() => new Shape(2, 6).Reshape(5, 2));
        Assert.Contains("(2, 6)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(5, 2)", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Shape(2, 6).Reshape(-1, -1));
        Assert.Throws<ArgumentException>(() => new Shape(2, 6).Reshape(5, -1));
    }

    [Fact]
    public void Axes_count_from_the_end_and_name_the_shape_when_out_of_range()
    {
        var s = new Shape(2, 3, 4);
        Assert.Equal(2, s.Axis(-1));
        Assert.Equal(0, s.Axis(0));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => s.Axis(3));
        Assert.Contains("axis 3 is out of range for shape (2, 3, 4)", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Axis(-4));
    }

    [Fact]
    public void Index_entries_convert_from_CSharp_and_print_as_NumPy_writes_them()
    {
        var entries = new TensorIndex[] { 3, ^1, ^0, 1..5, ^3.., .., ..^2, new[] { 0, 2, 2 }, TensorIndex.Slice(step: -1), TensorIndex.Slice(1, null, 2), TensorIndex.Ellipsis, TensorIndex.NewAxis };
        Assert.Equal("3, -1, ^0, 1:5, -3:, :, :-2, [0, 2, 2], ::-1, 1::2, ..., None", string.Join(", ", entries.Select(e => e.ToString())));
        Assert.Equal(IndexKind.Integer, entries[0].Kind);
        Assert.Equal(IndexKind.Slice, entries[3].Kind);
        Assert.Equal((1, 5, 1), (entries[3].Start, entries[3].Stop, entries[3].Step));
        Assert.Null(entries[5].Start);
        Assert.Null(entries[5].Stop);
        var array = (int[])[0, 2, 2];
        var index = TensorIndex.Array(array);
        array[0] = 9;
        Assert.Equal([0, 2, 2], index.Indices);   // the entry keeps its own copy
        Assert.Throws<ArgumentNullException>(() => TensorIndex.Array(null!));
    }
}
