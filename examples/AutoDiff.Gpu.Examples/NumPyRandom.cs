namespace AutoDiff.Gpu.Examples;

/// <summary>
/// NumPy's legacy global generator (<c>np.random.seed</c>, <c>rand</c>, <c>randn</c>, <c>uniform</c>,
/// <c>permutation</c>): the Mersenne Twister MT19937 and NumPy's ways of turning its words into numbers. With it
/// the examples draw the book's data and initial weights, so that they print the book's numbers.
/// </summary>
internal sealed class NumPyRandom
{
    private const int N = 624;
    private const int M = 397;
    private readonly uint[] state = new uint[N];
    private int position;
    private double? gauss;

    /// <summary>A generator seeded as <c>np.random.seed(seed)</c>.</summary>
    public NumPyRandom(uint seed)
    {
        state[0] = seed;
        for (int i = 1; i < N; i++)
            state[i] = (1812433253u * (state[i - 1] ^ (state[i - 1] >> 30))) + (uint)i;
        position = N;
    }

    /// <summary><c>np.random.rand()</c>: uniform in [0, 1) from 53 random bits.</summary>
    public double Rand()
    {
        uint a = NextUInt32() >> 5, b = NextUInt32() >> 6;
        return ((a * 67108864.0) + b) / 9007199254740992.0;
    }

    /// <summary><c>np.random.rand(n)</c>.</summary>
    public double[] Rand(int n) => Fill(n, Rand);

    /// <summary><c>np.random.randn()</c>: the polar Box–Muller method, which makes normals in pairs.</summary>
    public double Randn()
    {
        if (gauss is { } kept)
        {
            gauss = null;
            return kept;
        }
        double x1, x2, r2;
        do
        {
            x1 = (2.0 * Rand()) - 1.0;
            x2 = (2.0 * Rand()) - 1.0;
            r2 = (x1 * x1) + (x2 * x2);
        }
        while (r2 >= 1.0 || r2 == 0.0);
        double f = Math.Sqrt(-2.0 * Math.Log(r2) / r2);
        gauss = f * x1;
        return f * x2;
    }

    /// <summary><c>np.random.randn(n)</c>.</summary>
    public double[] Randn(int n) => Fill(n, Randn);

    /// <summary><c>np.random.uniform(low, high, n)</c>.</summary>
    public double[] Uniform(double low, double high, int n) => Fill(n, () => low + ((high - low) * Rand()));

    /// <summary><c>np.random.permutation(n)</c>: 0 … n−1 shuffled from the last element down.</summary>
    public int[] Permutation(int n)
    {
        var order = Enumerable.Range(0, n).ToArray();
        for (int i = n - 1; i > 0; i--)
        {
            int j = (int)Interval((uint)i);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>A uniform integer in [0, max] by masking and rejection, as NumPy's <c>random_interval</c>.</summary>
    private uint Interval(uint max)
    {
        uint mask = max;
        for (int shift = 1; shift < 32; shift <<= 1)
            mask |= mask >> shift;
        uint value;
        while ((value = NextUInt32() & mask) > max)
        {
        }
        return value;
    }

    private static double[] Fill(int n, Func<double> next)
    {
        var values = new double[n];
        for (int i = 0; i < n; i++)
            values[i] = next();
        return values;
    }

    private uint NextUInt32()
    {
        if (position == N)
            Twist();
        uint y = state[position++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        return y ^ (y >> 18);
    }

    private void Twist()
    {
        for (int i = 0; i < N; i++)
        {
            uint y = (state[i] & 0x80000000u) | (state[(i + 1) % N] & 0x7fffffffu);
            state[i] = state[(i + M) % N] ^ (y >> 1) ^ ((y & 1) == 0 ? 0u : 0x9908b0dfu);
        }
        position = 0;
    }
}
