using System.Globalization;

namespace AutoDiff.Gpu.Distributed.Runner;

/// <summary>
/// The named scenarios. Each collective runs in both element types, every reduction and odd sizes; under MPI also
/// in chunks of <see cref="SmallChunk"/> elements, which the larger cases cross, and staged through host memory.
/// </summary>
internal static class Scenarios
{
    /// <summary>A chunk small enough that the larger cases need several MPI calls.</summary>
    public const int SmallChunk = 64;

    public static readonly IReadOnlyDictionary<string, Func<Collectives, string>> All =
        new Dictionary<string, Func<Collectives, string>>
        {
            ["allreduce"] = AllReduce,
            ["broadcast"] = Broadcast,
            ["allgather"] = AllGather,
            ["reducescatter"] = ReduceScatter,
            ["pending"] = Pending,
            ["barrier"] = Barrier,
            ["devices"] = Devices,
            ["data-parallel"] = DataParallelScenarios.Training,
            ["data-parallel-unused"] = DataParallelScenarios.Unused,
            ["data-parallel-checkpoint"] = DataParallelScenarios.Checkpoint,
            ["sharded-seed"] = DataParallelScenarios.ShardedSeed,
            ["mismatch-shape"] = c => Failures.Mismatch(c, shape: true),
            ["mismatch-dtype"] = c => Failures.Mismatch(c, shape: false),
            ["throw"] = Failures.Throw,
            ["kill"] = Failures.Kill,
            ["failfast"] = Failures.FailFast,
        };

    private static readonly DType[] DTypes = [DType.Float32, DType.Float64];
    private static readonly ReduceOp[] Ops = [ReduceOp.Sum, ReduceOp.Mean, ReduceOp.Max];

    private static string AllReduce(Collectives c)
    {
        int cases = 0;
        int shared = 0;
        foreach (string chunk in Chunks(c, shared: true))
        {
            foreach (var (dtype, op, shape) in Cases([new(1), new(13), new(1001), new(3, 100)]))
            {
                int salt = cases++;
                var t = Values.Make(c.Device, dtype, shape, c.Rank, salt);
                c.AllReduce(t, op);
                var expected = new double[shape.Length];
                for (int i = 0; i < expected.Length; i++)
                    expected[i] = Values.Reduce(op, c.Size, i, salt);
                Values.Expect($"AllReduce({op}) of {dtype.Name()} {shape}, {chunk}", shape, expected, t);
                shared += chunk.StartsWith("shared", StringComparison.Ordinal) ? 1 : 0;
            }
        }
        return $"{cases} cases, {shared} through shared memory";
    }

    private static string Broadcast(Collectives c)
    {
        int cases = 0;
        int[] roots = c.Size > 1 ? [0, c.Size - 1] : [0];
        foreach (string chunk in Chunks(c))
        {
            foreach (int root in roots)
            {
                foreach (var (dtype, _, shape) in Cases([new(1), new(1001), new(7, 9)], [ReduceOp.Sum]))
                {
                    int salt = cases++;
                    var t = Values.Make(c.Device, dtype, shape, c.Rank, salt);
                    c.Broadcast(t, root);
                    var expected = new double[shape.Length];
                    for (int i = 0; i < expected.Length; i++)
                        expected[i] = Values.Of(root, i, salt);
                    string what = $"Broadcast from rank {root} of {dtype.Name()} {shape}, {chunk}";
                    Values.Expect(what, shape, expected, t);
                }
            }
        }
        return $"{cases} cases, roots {string.Join(" and ", roots)}";
    }

    private static string AllGather(Collectives c)
    {
        int cases = 0;
        foreach (string chunk in Chunks(c))
        {
            foreach (var (dtype, _, shape) in Cases([new Shape(1), new Shape(7, 3), new Shape(501)], [ReduceOp.Sum]))
            {
                int salt = cases++;
                var gathered = c.AllGather(Values.Make(c.Device, dtype, shape, c.Rank, salt));
                var dims = shape.ToArray();
                dims[0] *= c.Size;
                var expected = new double[shape.Length * c.Size];
                for (int r = 0; r < c.Size; r++)
                {
                    for (int i = 0; i < shape.Length; i++)
                        expected[(r * shape.Length) + i] = Values.Of(r, i, salt);
                }
                Values.Expect($"AllGather of {dtype.Name()} {shape}, {chunk}", new Shape(dims), expected, gathered);
            }
        }
        return $"{cases} cases";
    }

    private static string ReduceScatter(Collectives c)
    {
        int cases = 0;
        int n = c.Size;
        foreach (string chunk in Chunks(c))
        {
            foreach (var (dtype, op, shape) in Cases([new Shape(n), new Shape(n * 7, 3), new Shape(n * 251)]))
            {
                int salt = cases++;
                var part = c.ReduceScatter(Values.Make(c.Device, dtype, shape, c.Rank, salt), op);
                var dims = shape.ToArray();
                dims[0] /= n;
                long m = shape.Length / n;
                var expected = new double[m];
                for (int i = 0; i < m; i++)
                    expected[i] = Values.Reduce(op, n, (c.Rank * m) + i, salt);
                string what = $"ReduceScatter({op}) of {dtype.Name()} {shape}, {chunk}";
                Values.Expect(what, new Shape(dims), expected, part);

            }
        }
        return $"{cases} cases";
    }

    /// <summary>
    /// A pending (fused) tensor is computed before it is reduced, and one that reads a tensor reduced in place
    /// keeps the values it was made from.
    /// </summary>
    private static string Pending(Collectives c)
    {
        var shape = new Shape(20_000); // above the CPU's fusion threshold
        var x = Values.Make(c.Device, DType.Float32, shape, c.Rank, 0);
        var before = x.ToDoubleArray();
        var pending = (x * 2.0) + 1.0;
        var reader = x * 3.0;
        bool wasPending = pending.IsPending && reader.IsPending;
        c.AllReduce(pending);
        c.AllReduce(x);
        var sums = new double[shape.Length];
        var doubled = new double[shape.Length];
        var tripled = new double[shape.Length];
        for (int i = 0; i < sums.Length; i++)
        {
            sums[i] = Values.Reduce(ReduceOp.Sum, c.Size, i, 0);
            doubled[i] = (2 * sums[i]) + c.Size;
            tripled[i] = 3 * before[i];
        }
        Values.Expect("AllReduce of a pending tensor", shape, doubled, pending);
        Values.Expect("AllReduce in place", shape, sums, x);
        Values.Expect("a pending reader of a tensor reduced in place", shape, tripled, reader);
        return wasPending ? "inputs were pending" : "fusion off: inputs were computed";
    }

    /// <summary>
    /// Each rank writes a file, then waits at the barrier; after it, every rank's file of that round must exist.
    /// The folder's name is rank 0's, broadcast.
    /// </summary>
    private static string Barrier(Collectives c)
    {
        var id = c.Device.FromArray(new double[] { c.IsRoot ? Random.Shared.Next() : 0 }, 1);
        c.Broadcast(id);
        string folder = Path.Combine(Path.GetTempPath(), $"autodiff-barrier-{(long)id.Item()}");
        Directory.CreateDirectory(folder);
        const int Rounds = 3;
        for (int round = 0; round < Rounds; round++)
        {
            if (c.Rank == c.Size - 1)
                Thread.Sleep(200); // the last rank comes late: the others must wait for it
            File.WriteAllText(Path.Combine(folder, $"{round}-{c.Rank}"), "");
            c.Barrier();
            for (int r = 0; r < c.Size; r++)
            {
                if (!File.Exists(Path.Combine(folder, $"{round}-{r}")))
                    throw new WrongResultException($"Barrier round {round} returned before rank {r} reached it");
            }
        }
        c.Barrier();
        if (c.IsRoot)
            Directory.Delete(folder, recursive: true);
        return $"{Rounds} rounds";
    }

    /// <summary>This rank's place on its node and its device (the tests read the line).</summary>
    private static string Devices(Collectives c) => string.Create(
        CultureInfo.InvariantCulture,
        $"local {c.LocalRank}/{c.LocalSize}, {c.Device.Name}, {Environment.ProcessorCount} cores");

    private static IEnumerable<(DType DType, ReduceOp Op, Shape Shape)> Cases(Shape[] shapes, ReduceOp[]? ops = null)
    {
        foreach (var dtype in DTypes)
        {
            foreach (var op in ops ?? Ops)
            {
                foreach (var shape in shapes)
                    yield return (dtype, op, shape);
            }
        }
    }

    /// <summary>
    /// The backend as it is; under MPI on the CPU accelerator also with chunks of <see cref="SmallChunk"/>
    /// elements, and both again staged through host memory as other devices are. With <paramref name="shared"/>,
    /// first through the node's shared window where the backend has one (labelled <c>shared</c>).
    /// </summary>
    private static IEnumerable<string> Chunks(Collectives c, bool shared = false)
    {
        if (c.Engine is not MpiBackend mpi)
        {
            yield return "default";
            yield break;
        }
        try
        {
            var modes = new List<string>();
            if (!mpi.Staged)
                modes.AddRange(shared && mpi.SharedMemory ? ["shared", "direct"] : ["direct"]);
            modes.Add("staged");
            foreach (string mode in modes)
            {
                mpi.Staged = mode == "staged";
                mpi.SharedMemory = mode == "shared";
                foreach (int? chunk in (int?[])[null, SmallChunk])
                {
                    mpi.ChunkElements = chunk;
                    yield return $"{mode}, {(chunk is { } n ? $"{n:N0}" : "default")}";
                }
            }
        }
        finally
        {
            mpi.ChunkElements = null;
            mpi.Staged = false;
            mpi.SharedMemory = true;
        }
    }
}
