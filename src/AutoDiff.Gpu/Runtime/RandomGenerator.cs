using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu;

/// <summary>
/// Where a <see cref="RandomGenerator"/> stands: its seed, and how many streams it has handed out since.
/// </summary>
/// <param name="Seed">The seed (Philox's key).</param>
/// <param name="Streams">Streams drawn since seeding: the next launch takes stream number <paramref name="Streams"/>.</param>
public readonly record struct RandomState(ulong Seed, ulong Streams);

/// <summary>
/// The random numbers of one device, made on the device by a counter-based generator (Philox4x32-10, as cuRAND's and
/// PyTorch's on GPUs): every launch — <see cref="Uniform"/>, <see cref="Normal"/>, a dropout — takes the next stream
/// of the seed, and each element of a stream is a pure function of (seed, stream, index). So a seed gives the same
/// numbers on every accelerator (normals within the rounding of ln, sin and cos; uniforms and dropout masks to the
/// bit), and nothing but the 16-byte state crosses to the device. Thread-safe: concurrent launches take distinct
/// streams.
/// </summary>
/// <remarks>
/// A device starts from a seed drawn from the operating system's entropy, as NumPy's generator does; call
/// <see cref="ManualSeed"/> for a reproducible run, or save and restore <see cref="State"/>.
/// </remarks>
public sealed class RandomGenerator
{
    private readonly Device device;
    private readonly Lock gate = new();
    private RandomState state;

    internal RandomGenerator(Device device, ulong seed)
    {
        this.device = device;
        state = new RandomState(seed, 0);
    }

    /// <summary>
    /// The seed and the number of streams drawn; setting it makes the next launches repeat those made from that point.
    /// </summary>
    public RandomState State
    {
        get
        {
            lock (gate)
                return state;
        }
        set
        {
            lock (gate)
                state = value;
        }
    }

    /// <summary>
    /// Restarts the generator from <paramref name="seed"/> (PyTorch's <c>manual_seed</c>, NumPy's <c>seed</c>).
    /// </summary>
    public void ManualSeed(ulong seed) => State = new RandomState(seed, 0);

    /// <summary>
    /// A tensor of numbers uniform on [<paramref name="low"/>, <paramref name="high"/>) (NumPy's
    /// <c>random.uniform</c>; the defaults are <c>random.rand</c>'s [0, 1)). Each is low + (high − low)·u with u a
    /// multiple of 2⁻²⁴ (float32) or 2⁻⁵³ (float64) below 1; rounding can give <paramref name="high"/> itself when
    /// low is not 0 or high not 1.
    /// </summary>
    /// <exception cref="ArgumentException">A bound is not finite.</exception>
    public Tensor Uniform(Shape shape, DType dtype = Device.DefaultDType, double low = 0, double high = 1)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (!double.IsFinite(low) || !double.IsFinite(high))
            throw new ArgumentException($"uniform: the bounds must be finite, not [{low}, {high})");
        return Drawing(RandomKind.Uniform, low, high, 0, a => Launch.Random(device, shape, dtype, a));
    }

    /// <summary>
    /// A tensor of normally distributed numbers with mean <paramref name="mean"/> and standard deviation
    /// <paramref name="std"/> (NumPy's <c>random.normal</c>; the defaults are <c>random.randn</c>'s), by the
    /// Box–Muller transform of the stream's uniforms.
    /// </summary>
    /// <exception cref="ArgumentException">The mean is not finite, or the deviation is negative or not finite.</exception>
    public Tensor Normal(Shape shape, DType dtype = Device.DefaultDType, double mean = 0, double std = 1)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (!double.IsFinite(mean) || !double.IsFinite(std) || std < 0)
            throw new ArgumentException($"normal: the mean must be finite and the standard deviation finite and not negative, not mean {mean}, std {std}");
        return Drawing(RandomKind.Normal, mean, std, 0, a => Launch.Random(device, shape, dtype, a));
    }

    /// <summary>
    /// <paramref name="draw"/> of the next launch's arguments. When it throws (out of memory, a shape too large), the
    /// stream goes back, so the numbers drawn afterwards are those a run without the failed request draws; unless
    /// another thread took a later stream meanwhile.
    /// </summary>
    internal T Drawing<T>(RandomKind kind, double a, double b, uint threshold, Func<RandomArguments, T> draw)
    {
        var arguments = Next(kind, a, b, threshold);
        try
        {
            return draw(arguments);
        }
        catch
        {
            lock (gate)
            {
                if (state == new RandomState(arguments.Seed, arguments.Stream + 1))
                    state = new RandomState(arguments.Seed, arguments.Stream);
            }
            throw;
        }
    }

    /// <summary>The arguments of the next launch: this seed, the next stream.</summary>
    private RandomArguments Next(RandomKind kind, double a, double b = 0, uint threshold = 0)
    {
        ulong stream;
        ulong seed;
        lock (gate)
        {
            (seed, stream) = state;
            state = state with { Streams = stream + 1 };
        }
        return new RandomArguments(seed, stream, kind, a, b, threshold);
    }
}

public sealed partial class Device
{
    /// <summary>The device's random numbers (see <see cref="RandomGenerator"/>).</summary>
    public RandomGenerator Random => Volatile.Read(ref random) ?? CreateRandom();

    private RandomGenerator? random;

    /// <summary>
    /// A float32 tensor uniform on [0, 1) (NumPy's <c>random.rand</c>): <c>Random.Uniform(shape)</c>.
    /// </summary>
    public Tensor Rand(params int[] shape) => Random.Uniform(new Shape(shape));

    /// <summary>
    /// A float32 tensor of standard normal numbers (NumPy's <c>random.randn</c>): <c>Random.Normal(shape)</c>.
    /// </summary>
    public Tensor RandN(params int[] shape) => Random.Normal(new Shape(shape));

    private RandomGenerator CreateRandom()
    {
        var created = new RandomGenerator(this, BitConverter.ToUInt64(System.Security.Cryptography.RandomNumberGenerator.GetBytes(sizeof(ulong))));
        return Interlocked.CompareExchange(ref random, created, null) ?? created;
    }
}
