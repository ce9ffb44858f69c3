using System.Globalization;

namespace AutoDiff.Gpu
{
    /// <summary>
    /// One entry of an index expression, as in NumPy: an integer (drops the axis), a slice with start, stop and step
    /// (keeps it), an array of integers (picks entries along the axis, repeats allowed), <see cref="Ellipsis"/> (as many
    /// full slices as the other entries leave axes) or <see cref="NewAxis"/> (inserts an axis of size 1). Integers,
    /// C# indices (<c>^1</c>), ranges (<c>1..5</c>, <c>^3..</c>, <c>..</c>) and <c>int[]</c> convert implicitly:
    /// <code>
    /// x[1..5, .., 3]                                  // x[1:5, :, 3]
    /// x[TensorIndex.Slice(1, 5, 2), TensorIndex.All]  // x[1:5:2, :]
    /// x[TensorIndex.Slice(step: -1)]                  // x[::-1]
    /// x[new[] { 0, 2, 2 }]                            // x[[0, 2, 2]]
    /// </code>
    /// Negative integers, starts and stops count from the end; slice bounds are clamped to the axis as in Python.
    /// </summary>
    public sealed class TensorIndex
    {
        private readonly int[]? indices;

        /// <summary>True for C#'s <c>^0</c>, one past the last entry, which no axis has.</summary>
        private readonly bool pastEnd;

        private TensorIndex(IndexKind kind, int value = 0, int? start = null, int? stop = null, int step = 1, int[]? indices = null, bool pastEnd = false)
        {
            this.pastEnd = pastEnd;
            Kind = kind;
            Value = value;
            Start = start;
            Stop = stop;
            Step = step;
            this.indices = indices;
        }

        /// <summary>The full slice <c>:</c>.</summary>
        public static TensorIndex All { get; } = new(IndexKind.Slice);

        /// <summary>NumPy's <c>...</c>: full slices for every axis the other entries leave (at most one per expression).</summary>
        public static TensorIndex Ellipsis { get; } = new(IndexKind.Ellipsis);

        /// <summary>NumPy's <c>None</c> (<c>np.newaxis</c>): a new axis of size 1 at this place of the result.</summary>
        public static TensorIndex NewAxis { get; } = new(IndexKind.NewAxis);

        /// <summary>What kind of entry this is.</summary>
        public IndexKind Kind { get; }

        /// <summary>The integer of an <see cref="IndexKind.Integer"/> entry (negative counts from the end).</summary>
        public int Value { get; }

        /// <summary>The start of a slice; null for the default (the first element, or the last with a negative step).</summary>
        public int? Start { get; }

        /// <summary>The stop of a slice (excluded); null for the default (past the end in the step's direction).</summary>
        public int? Stop { get; }

        /// <summary>The step of a slice (not 0; negative walks backwards).</summary>
        public int Step { get; }

        /// <summary>The integers of an <see cref="IndexKind.Array"/> entry (a copy).</summary>
        public int[] Indices => indices is null ? [] : (int[])indices.Clone();

        /// <summary>The integer array without a copy.</summary>
        internal int[] IndicesShared => indices ?? [];

        /// <summary>An integer: picks one entry and drops the axis (negative counts from the end).</summary>
        public static TensorIndex Single(int index) => new(IndexKind.Integer, value: index);

        /// <summary>
        /// The slice <c>start:stop:step</c> (Python's semantics: null bounds are the ends, negative ones count from
        /// the end, bounds are clamped to the axis). A step of 0 is an error when the expression is applied.
        /// </summary>
        public static TensorIndex Slice(int? start = null, int? stop = null, int step = 1) => new(IndexKind.Slice, start: start, stop: stop, step: step);

        /// <summary>An array of integers: the entries at these positions along the axis, in order, repeats allowed (negative counts from the end).</summary>
        public static TensorIndex Array(params int[] indices)
        {
            ArgumentNullException.ThrowIfNull(indices);
            return new(IndexKind.Array, indices: (int[])indices.Clone());
        }

        /// <summary>An integer index (<see cref="Single"/>).</summary>
        public static implicit operator TensorIndex(int index) => Single(index);

        /// <summary>A C# index: <c>^1</c> is the last entry.</summary>
        public static implicit operator TensorIndex(Index index) => FromIndex(index);

        /// <summary>A C# range as a slice of step 1: <c>1..5</c> is <c>1:5</c>, <c>^3..</c> is <c>-3:</c>, <c>..</c> is <c>:</c>.</summary>
        public static implicit operator TensorIndex(Range range) => FromRange(range);

        /// <summary>An integer array (<see cref="Array"/>).</summary>
        public static implicit operator TensorIndex(int[] indices) => Array(indices);

        /// <summary>A C# index: <c>^1</c> is the last entry (<c>^0</c>, one past it, is out of range for every axis).</summary>
        public static TensorIndex FromIndex(Index index) => index.IsFromEnd
            ? index.Value == 0 ? new(IndexKind.Integer, value: int.MaxValue, pastEnd: true) : Single(-index.Value)
            : Single(index.Value);

        /// <summary>A C# range as a slice of step 1.</summary>
        public static TensorIndex FromRange(Range range) =>
            Slice(range.Start.Equals(Index.Start) ? null : Bound(range.Start), range.End.Equals(Index.End) ? null : Bound(range.End));

        /// <summary>NumPy's notation: <c>3</c>, <c>1:5:2</c>, <c>:</c>, <c>::-1</c>, <c>[0, 2, 2]</c>, <c>...</c>, <c>None</c>.</summary>
        public override string ToString() => Kind switch
        {
            IndexKind.Integer => pastEnd ? "^0" : Value.ToString(CultureInfo.InvariantCulture),
            IndexKind.Slice => $"{Text(Start)}:{Text(Stop)}{(Step == 1 ? string.Empty : ":" + Step.ToString(CultureInfo.InvariantCulture))}",
            IndexKind.Array => $"[{string.Join(", ", IndicesShared)}]",
            IndexKind.Ellipsis => "...",
            _ => "None",
        };

        /// <summary>A range's bound as a slice bound: <c>^k</c> is −k, <c>^0</c> the end (int.MaxValue, clamped to the axis).</summary>
        private static int Bound(Index index) => !index.IsFromEnd ? index.Value : index.Value == 0 ? int.MaxValue : -index.Value;

        private static string Text(int? bound) => bound switch
        {
            null => string.Empty,
            int.MaxValue => "^0",
            _ => bound.Value.ToString(CultureInfo.InvariantCulture),
        };
    }

    /// <summary>The kinds of <see cref="TensorIndex"/> entries.</summary>
    public enum IndexKind
    {
        /// <summary>A slice <c>start:stop:step</c> (keeps the axis).</summary>
        Slice,

        /// <summary>An integer (drops the axis).</summary>
        Integer,

        /// <summary>An array of integers (picks entries along the axis).</summary>
        Array,

        /// <summary><c>...</c>: full slices for the axes no other entry takes.</summary>
        Ellipsis,

        /// <summary><c>None</c>: a new axis of size 1.</summary>
        NewAxis,
    }
}
