namespace AutoDiff.Gpu.Distributed.Runner;

/// <summary>
/// One rank of a multi-rank test, started by <c>mpiexec -n N dotnet AutoDiff.Gpu.Distributed.Runner.dll
/// SCENARIO...</c>:
/// runs the named scenarios in order and prints one line per scenario and rank. Exit status: 0 when every result
/// matched, 1 at the first wrong one, 2 for a bad command line; an exception ends the whole job (MPI_Abort).
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        var unknown = args.Where(a => !Scenarios.All.ContainsKey(a)).ToList();
        if (args.Length == 0 || unknown.Count > 0)
        {
            string names = string.Join(", ", Scenarios.All.Keys);
            Console.Error.WriteLine($"usage: AutoDiff.Gpu.Distributed.Runner SCENARIO...; scenarios: {names}");

            if (unknown.Count > 0)
                Console.Error.WriteLine($"unknown: {string.Join(", ", unknown)}");
            return 2;
        }
        using var collectives = Collectives.Start();
        string rank = $"rank {collectives.Rank}/{collectives.Size} {collectives.Backend} {collectives.Device.Id}";
        foreach (string name in args)
        {
            try
            {
                string detail = Scenarios.All[name](collectives);
                Console.WriteLine($"{rank}: {name} ok ({detail})");
            }
            catch (WrongResultException e)
            {
                Console.WriteLine($"{rank}: {name} WRONG: {e.Message}");
                return 1;
            }
        }
        return 0;
    }
}

/// <summary>A collective gave a value other than the one-process computation's.</summary>
internal sealed class WrongResultException(string message) : Exception(message);
