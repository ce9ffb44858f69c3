namespace AutoDiff.Gpu.Tests;

/// <summary>Bad input is refused with an exception whose message says what is wrong.</summary>
public static class Refused
{
    /// <summary>
    /// Asserts that <paramref name="call"/> throws <typeparamref name="TException"/> saying <paramref name="text"/>.
    /// </summary>
    public static void With<TException>(string text, Action call)
        where TException : Exception =>
        Assert.Contains(text, Assert.Throws<TException>(call).Message, StringComparison.Ordinal);
}
