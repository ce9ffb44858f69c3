namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// A convolution's work on the CPU accelerator: the windows of images x (N, C, H, W) against F filters w
/// (F, C, KH, KW), y (N, F, OH, OW); work items are split as <see cref="Blocks"/> and <see cref="Groups"/> say.
/// </summary>
/// <param name="G">The windows.</param>
/// <param name="Filters">F.</param>
/// <param name="Blocks">Blocks of windows per image in the forward, one item each.</param>
/// <param name="Groups">Groups of channels per image in the gradient of x; of rows (c, kh, kw) in that of w.</param>
/// <param name="VectorBits">The width of the register tiles: 512, 256 or 128.</param>
internal readonly record struct ConvolutionPlan(WindowGeometry G, int Filters, int Blocks, int Groups, int VectorBits)
{
    /// <summary>Windows per image: OH·OW.</summary>
    public int Windows => G.OH * G.OW;

    /// <summary>Columns of the products per image: one per window, and more where the strides are 1
    /// (see <see cref="PaddedImage{T}"/>).</summary>
    public int Columns => G.SH == 1 && G.SW == 1 ? ((G.OH - 1) * (G.W + (2 * G.PW))) + G.OW : Windows;

    /// <summary>Columns per block of the forward, a whole number of register tiles.</summary>
    public int BlockColumns
    {
        get
        {
            int tile = 2 * VectorBits / 32;
            return ((Columns + Blocks - 1) / Blocks + tile - 1) / tile * tile;
        }
    }

    /// <summary>Elements of padded images of <paramref name="channels"/> channels.</summary>
    public long PaddedLength(int channels) => (long)channels * (G.H + (2 * G.PH)) * (G.W + (2 * G.PW));
}
