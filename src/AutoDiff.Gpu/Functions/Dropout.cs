using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions
{
    /// <summary>
    /// Inverted dropout with a fixed random stream: forward <c>y = x·mask·scale</c>, backward
    /// <c>gx = gy·mask·scale</c>, the same function of the same stream (so every order of derivative is this one
    /// kernel). The mask is never stored: each launch recomputes it from the 16-byte stream, where DeZero keeps an
    /// array the size of x until the backward pass.
    /// </summary>
    public sealed class Dropout : Function
    {
        private readonly RandomArguments stream;

        internal Dropout(RandomArguments stream) => this.stream = stream;

        /// <inheritdoc/>
        protected override int Arity => 1;

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs) => [Launch.Dropout(xs[0], stream)];

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) => [new Dropout(stream).Call(gys[0])[0]];
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>
        /// DeZero's <c>dropout</c>: while <see cref="Config.Train"/>, each element is kept with probability
        /// 1 − <paramref name="ratio"/> and scaled by 1/(1 − ratio) (rounded to the element type), else multiplied by 0
        /// (a NaN or infinity stays NaN, as in DeZero and PyTorch); the mask comes from x's device's
        /// <see cref="Device.Random"/>. In test mode it returns x itself.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">The ratio is not in [0, 1).</exception>
        public static Variable Dropout(Variable x, double ratio = 0.5)
        {
            ArgumentNullException.ThrowIfNull(x);
            if (!(ratio >= 0 && ratio < 1))
                throw new ArgumentOutOfRangeException(nameof(ratio), ratio, $"dropout: the ratio must be in [0, 1), not {ratio}");
            if (!Config.Train)
                return x;
            var device = x.Data.Device;
            device.ThrowIfDisposed();
            uint threshold = (uint)Math.Min(uint.MaxValue, Math.Round(ratio * 4294967296.0));
            return device.Random.Drawing(RandomKind.Dropout, 1 / (1 - ratio), 0, threshold, a => new Functions.Dropout(a).Call(x)[0]);
        }
    }
}
