using System.Numerics;
using System.Runtime.CompilerServices;

namespace AutoDiff.Gpu.Kernels;

internal static unsafe partial class CpuRoutines
{
    /// <summary>
    /// Items [start, start + count), groups of rows (c, kh, kw) each, of gw = Σₙ gy[n]·columns(x[n])ᵀ, as
    /// gwᵀ = Σₙ columns(x[n])·gy[n]ᵀ: each element one chain of fused multiply-adds over (n, oh, ow) in order,
    /// from 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FilterGradient<T, TVector, TSimd>(
        T* x, T* gy, T* gw, ConvolutionPlan plan, long start, long count)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TSimd : struct, ITileSimd<T, TVector>
    {
        var g = plan.G;
        int tileRows = TSimd.TileRows, tileColumns = 2 * TSimd.Lanes, tileSize = tileRows * tileColumns;
        int windows = plan.Windows, window = g.KH * g.KW;
        int perGroup = RoundUp((g.Column + plan.Groups - 1) / plan.Groups, tileRows);
        int slivers = (plan.Filters + tileColumns - 1) / tileColumns;
        int panelColumns = PanelColumns<T>(plan.VectorBits), panelRows = LeftPanelTiles * tileRows;
        // Depth panels of equal size: no short last panel per image.
        int columns = plan.Columns, depthPanels = (columns + PanelDepth - 1) / PanelDepth;
        int panelDepth = (columns + depthPanels - 1) / depthPanels;
        int channels = Math.Min(g.C, ((perGroup + window - 2) / window) + 1);
        long padded = plan.PaddedLength(channels);
        long transposed = (long)windows * plan.Filters;
        using var panels = new Panels<T>((long)perGroup * slivers * tileColumns, padded + transposed);
        var packed = panels.Packed;
        for (long item = start; item < start + count; item++)
        {
            int k0 = (int)item * perGroup, k1 = Math.Min(g.Column, k0 + perGroup);
            if (k0 >= k1)
                continue;
            int c0 = k0 / window, c1 = ((k1 - 1) / window) + 1;
            var image = new PaddedImage<T>(packed.Extra, g, c0);
            for (long n = 0; n < g.N; n++)
            {
                T* channels0 = x + (((n * g.C) + c0) * g.H * g.W);
                image.Fill(x + (n * g.C * g.H * g.W), c1 - c0);
                var rows = new WindowRows<T>(image, g.SW, AllFinite(channels0, (long)(c1 - c0) * g.H * g.W));
                T* transposedGy = packed.Extra + padded;
                Transpose(gy + (n * plan.Filters * windows), windows, plan.Filters, windows, transposedGy, plan.Filters);
                var gradients = new DenseRows<T>(packed.Extra + padded, image, plan.Filters);
                for (int pc = 0; pc < columns; pc += panelDepth)
                {
                    int depth = Math.Min(panelDepth, columns - pc);
                    for (int jc = 0; jc < plan.Filters; jc += panelColumns)
                    {
                        int width = Math.Min(panelColumns, plan.Filters - jc);
                        gradients.Pack<TVector, TSimd>(packed.Right, jc, width, pc, depth);
                        for (int ic = k0; ic < k1; ic += panelRows)
                        {
                            int height = Math.Min(panelRows, k1 - ic);
                            rows.Pack<TVector, TSimd>(packed.Left, ic, height, pc, depth);
                            for (int t = 0; t * tileRows < height; t++)
                            {
                                int tileHeight = Math.Min(tileRows, height - (t * tileRows));
                                T* panel = packed.Left + (t * tileRows * PanelRowStride);
                                T* sums = packed.Scratch + (((ic - k0) / tileRows) + t) * slivers * tileSize;
                                for (int s = 0; s * tileColumns < width; s++)
                                {
                                    T* tile = sums + (((jc / tileColumns) + s) * tileSize);
                                    T* sliver = packed.Right + (s * tileColumns * PanelDepth);
                                    RegisterTile<T, TVector, TSimd, PanelByRows>(
                                        tileHeight, panel, sliver, tile, depth, n != 0 || pc != 0);
                                }
                            }
                        }
                    }
                }
            }
            // gwᵀ[k, f] is gw[f, k].
            var sink = new StridedSink<T>(gw, 1, g.Column, T.One, T.Zero);
            for (int t = 0; k0 + (t * tileRows) < k1; t++)
            {
                for (int s = 0; s < slivers; s++)
                {
                    T* tile = packed.Scratch + (((t * slivers) + s) * tileSize);
                    int i0 = k0 + (t * tileRows), j0 = s * tileColumns;
                    var across = (j0, Math.Min(tileColumns, plan.Filters - j0));
                    Finish(tile, tileColumns, sink, (i0, Math.Min(tileRows, k1 - i0)), across);
                }
            }
        }
    }
}
