namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// The windows of a 2-D convolution or pooling over images x (N, C, H, W): kernel (KH, KW), stride (SH, SW) and zero
/// padding (PH, PW) on each side, giving <see cref="OH"/>×<see cref="OW"/> windows per image. The column matrix
/// (im2col) has one row per window, (n, oh, ow) row-major, of <see cref="Column"/> elements (c, kh, kw).
/// </summary>
public readonly record struct WindowGeometry(int N, int C, int H, int W, int KH, int KW, int SH, int SW, int PH, int PW)
{
    /// <summary>Rows of windows: (H + 2·PH − KH)/SH + 1.</summary>
    public int OH => ((H + (2 * PH) - KH) / SH) + 1;

    /// <summary>Columns of windows: (W + 2·PW − KW)/SW + 1.</summary>
    public int OW => ((W + (2 * PW) - KW) / SW) + 1;

    /// <summary>Elements of one window over every channel: C·KH·KW.</summary>
    public int Column => C * KH * KW;

    /// <summary>Elements of the images: N·C·H·W.</summary>
    public long ImageLength => (long)N * C * H * W;

    /// <summary>Elements of the column matrix: N·OH·OW·C·KH·KW.</summary>
    public long ColumnLength => (long)N * OH * OW * Column;
}
