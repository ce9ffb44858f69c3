using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// PTX instructions on float64 operands that ILGPU does not emit itself, for use inside CUDA kernels only (callers
/// test <see cref="CudaAsm.IsSupported"/>). ILGPU hands every operand of inline PTX with more than one output
/// (<see cref="CudaAsm.EmitRef{T0}(string, ref T0)"/>), and the output of the single-output form, through local
/// memory. ptxas turns 32-bit local slots back into registers but keeps 64-bit ones (an <c>STL.64</c>, often an
/// <c>LDL.64</c> too, per operand and call), so each float64 operand travels here as two 32-bit halves, joined and
/// split again inside the instruction's own PTX scope: the SASS is the bare instruction on registers.
/// </summary>
internal static class InlinePtx
{
    /// <summary>a·b + c rounded once (PTX's <c>fma.rn.f64</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double FusedMultiplyAdd(double a, double b, double c)
    {
        Output<uint> low = default, high = default;
        Input<uint> aLow = Low(a), aHigh = High(a), bLow = Low(b), bHigh = High(b), cLow = Low(c), cHigh = High(c);
        CudaAsm.EmitRef(
            "{ .reg .f64 a, b, c, d; mov.b64 a, {%2, %3}; mov.b64 b, {%4, %5}; mov.b64 c, {%6, %7}; " +
            "fma.rn.f64 d, a, b, c; mov.b64 {%0, %1}, d; }",
            ref low, ref high, ref aLow, ref aHigh, ref bLow, ref bHigh, ref cLow, ref cHigh);
        return Join(low.Value, high.Value);
    }

    /// <summary>
    /// One warp's 8×8×4 float64 matrix multiply-accumulate on the matrix units (PTX's
    /// <c>mma.sync.aligned.m8n8k4.row.col.f64</c>, SM 8.0 and later): with lane = the lane index, g = lane / 4 and
    /// t = lane % 4, the lane gives A[g, t] (<paramref name="a"/>) and B[t, g] (<paramref name="b"/>) and holds
    /// C[g, 2t] and C[g, 2t + 1] (<paramref name="c"/>), which become D = A·B + C. Every lane of the warp must call it
    /// together.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static AccumulatorPair MatrixMultiplyAccumulate(AccumulatorPair c, double a, double b)
    {
        Ref<uint> low0 = Low(c.D0), high0 = High(c.D0), low1 = Low(c.D1), high1 = High(c.D1);
        Input<uint> aLow = Low(a), aHigh = High(a), bLow = Low(b), bHigh = High(b);
        CudaAsm.EmitRef(
            "{ .reg .f64 a, b, c0, c1; mov.b64 c0, {%0, %1}; mov.b64 c1, {%2, %3}; mov.b64 a, {%4, %5}; mov.b64 b, {%6, %7}; " +
            "mma.sync.aligned.m8n8k4.row.col.f64.f64.f64.f64 {c0, c1}, {a}, {b}, {c0, c1}; " +
            "mov.b64 {%0, %1}, c0; mov.b64 {%2, %3}, c1; }",
            ref low0, ref high0, ref low1, ref high1, ref aLow, ref aHigh, ref bLow, ref bHigh);
        return new() { D0 = Join(low0.Value, high0.Value), D1 = Join(low1.Value, high1.Value) };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Low(double value) => (uint)Interop.FloatAsInt(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint High(double value) => (uint)((ulong)Interop.FloatAsInt(value) >> 32);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Join(uint low, uint high) => Interop.IntAsFloat(((ulong)high << 32) | low);
}

#pragma warning disable CA1051 // plain data, like the tiles

/// <summary>The two elements of an 8×8 float64 accumulator tile that one lane holds (see <see cref="InlinePtx.MatrixMultiplyAccumulate"/>).</summary>
internal struct AccumulatorPair
{
    /// <summary>C[g, 2t].</summary>
    public double D0;

    /// <summary>C[g, 2t + 1].</summary>
    public double D1;
}

#pragma warning restore CA1051
