using System.Runtime.CompilerServices;
using AutoDiff.Gpu.Functions;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// The engine used as a hostile user would: huge shapes, disposal from other threads, concurrent launches and
/// backward passes, async code, misuse of scopes and custom functions. Every case asserts the clear exception or
/// the exact result and the state afterwards; the cases that could crash the process run in a child process.
/// Bound to each accelerator kind below.
/// </summary>
public abstract class HostileTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    private static readonly TimeSpan ChildTimeout = TimeSpan.FromSeconds(120);

    protected Device Device => fixture.Require();

    // 1. Sizes that overflow or exceed any device.

    [Fact]
    public void Huge_shapes_are_clear_errors_that_name_the_shape()
    {
        if (RanInChildProcess())
            return;
        // 2^62 float32 elements: 2^64 bytes, which wraps to 0 in unchecked arithmetic.
        var wraps = Assert.Throws<ArgumentException>(() => Device.Ones(1 << 30, 1 << 30, 4));
        Assert.Contains("(1073741824, 1073741824, 4)", wraps.Message, StringComparison.Ordinal);
        Assert.Contains("2^63", wraps.Message, StringComparison.Ordinal);
        // Just under 2^63 bytes: representable, and more than any device has.
        var almost = Assert.Throws<DeviceOutOfMemoryException>(() => Device.Empty(new Shape(2, 286260975, 3048841, 1321), DType.Float32));
        Assert.Contains("(2, 286260975, 3048841, 1321) float32", almost.Message, StringComparison.Ordinal);
        Assert.Contains("more than the", almost.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Device.Ones(1 << 30, 1 << 30, 3));
        var elements = Assert.Throws<ArgumentException>(() => Device.Ones(int.MaxValue, int.MaxValue, int.MaxValue));
        Assert.Contains("2147483647", elements.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => DeviceMemory.RoundSize(long.MaxValue));

        // Representable but larger than the device: out of memory at once, naming the tensor and the bytes.
        var huge = Assert.Throws<DeviceOutOfMemoryException>(() => Device.Ones(1 << 20, 1 << 20));
        Assert.Contains("(1048576, 1048576) float32", huge.Message, StringComparison.Ordinal);
        Assert.Equal(4L << 40, huge.RequestedBytes);
        Assert.Equal(0, Device.Memory.Snapshot().FullCollections);

        // The device still works.
        Assert.Equal([4f], Square(new Variable(Device.FromArray([2f]))).ToArray<float>());
    }

    [Fact]
    public void Size_classes_are_as_documented()
    {
        Assert.Equal(512, DeviceMemory.RoundSize(0));
        Assert.Equal(512, DeviceMemory.RoundSize(1));
        Assert.Equal(512, DeviceMemory.RoundSize(512));
        Assert.Equal(1024, DeviceMemory.RoundSize(513));
        Assert.Equal(1_048_576, DeviceMemory.RoundSize(1_048_575));
        Assert.Equal(2_097_152, DeviceMemory.RoundSize(1_048_576));
        Assert.Equal(4_194_304, DeviceMemory.RoundSize(3_000_000));
        Assert.Equal(4_194_304, DeviceMemory.RoundSize(4_000_000));
        Assert.Equal(6_291_456, DeviceMemory.RoundSize(4_194_305));
    }

    // 2. Disposing a device while another thread uses it.

    [Fact]
    public void Disposing_a_device_while_another_thread_works_fails_that_thread_cleanly()
    {
        if (RanInChildProcess())
            return;
        for (int round = 0; round < 5; round++)
        {
            var device = fixture.OpenFresh();
            Exception? failure = null;
            int iterations = 0;
            using var started = new ManualResetEventSlim();
            var worker = new Thread(() =>
            {
                try
                {
                    while (true)
                    {
                        var x = new Variable(device.Ones(200_000));
                        Square(Square(x)).Backward();
                        iterations++;
                        started.Set();
                    }
                }
                catch (Exception e)
                {
                    failure = e;
                    started.Set();
                }
            });
            worker.Start();
            started.Wait(TestContext.Current.CancellationToken);
            device.Dispose();
            Assert.True(worker.Join(TimeSpan.FromSeconds(60)), "the worker hung after the device was disposed");
            Assert.IsType<ObjectDisposedException>(failure, exactMatch: false);
            Assert.Contains(device.Id, failure!.Message, StringComparison.Ordinal);
            Assert.True(iterations > 0);
        }
    }

    [Fact]
    public void A_disposed_device_says_so_everywhere()
    {
        var device = fixture.OpenFresh();
        var t = device.FromArray([1f, 2f]);
        var v = new Variable(device.FromArray([3f]));
        device.Dispose();
        Assert.True(t.IsDisposed);
        Assert.True(v.IsDisposed);
        Assert.Contains("disposed", t.ToString(), StringComparison.Ordinal);
        Assert.Equal("variable(disposed)", v.ToString());
        var e = Assert.Throws<ObjectDisposedException>(() => t.ToArray<float>());
        Assert.Contains($"device {device.Id} was disposed", e.Message, StringComparison.Ordinal);
        Assert.Throws<ObjectDisposedException>(() => device.Ones(3));
        Assert.Throws<ObjectDisposedException>(() => device.Memory.StartRecording());
        Assert.Throws<ObjectDisposedException>(() => Square(v));
        var b = Assert.Throws<ObjectDisposedException>(() => v.Backward());
        Assert.Contains("variable (1,) float32", b.Message, StringComparison.Ordinal);
        device.Dispose();   // idempotent
    }

    // 3. Concurrent launches on one device.

    [Fact]
    public void Concurrent_launches_on_one_device_are_safe_and_exact()
    {
        if (RanInChildProcess())
            return;
        var device = Device;
        var results = new float[4][];
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
        {
            float[]? last = null;
            for (int i = 0; i < 50; i++)
            {
                var x = new Variable(device.Full(new Shape(64, 64), t + 1, DType.Float32));
                Square(Square(x)).Backward();
                last = x.Grad!.ToArray<float>();
            }
            results[t] = last!;
        });
        // d/dx x⁴ = 4x³
        for (int t = 0; t < 4; t++)
            Assert.All(results[t], g => Assert.Equal(4f * (t + 1) * (t + 1) * (t + 1), g));
    }

    // 4. and 5. Grad mode and scopes across await.

    [Fact]
    public async Task NoGrad_across_await_never_leaks_into_the_thread_pool()
    {
        var device = Device;
        static async Task Work()
        {
            using (Config.NoGrad())
                await Task.Delay(10).ConfigureAwait(false);
        }
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(Work)));

        var seen = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(() =>
        {
            bool mode = Config.EnableBackprop;
            var x = new Variable(device.Scalar(3.0));
            Square(x).Backward();
            return (mode, grad: x.Grad?.Item());
        })));
        Assert.All(seen, s => Assert.True(s.mode));
        Assert.All(seen, s => Assert.Equal(6.0, s.grad));
        Assert.True(Config.EnableBackprop);
    }

    [Fact]
    public async Task NoGrad_stays_with_the_flow_that_opened_it_across_await()
    {
        using (Config.NoGrad())
        {
            await Task.Yield();
            await Task.Delay(5, TestContext.Current.CancellationToken);
            Assert.False(Config.EnableBackprop);
            var y = Square(new Variable(Device.Scalar(2.0)));
            Assert.Null(y.Creator);
        }
        Assert.True(Config.EnableBackprop);
    }

    [Fact]
    public async Task A_scope_opened_before_await_is_disposed_after_it_and_leaks_nothing()
    {
        var device = fixture.OpenFresh();
        try
        {
            async Task<Tensor> Work()
            {
                using var scope = TensorScope.Begin();
                var t = device.Ones(1024);
                await Task.Delay(10).ConfigureAwait(false);
                Assert.Same(scope, TensorScope.Current);
                return t;
            }
            var made = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(Work)));
            Assert.All(made, t => Assert.True(t.IsDisposed));
            Assert.Equal(0, device.Memory.AllocatedBytes);

            // No scope is left current anywhere: unreferenced tensors made on pool threads are collected.
            await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(() =>
            {
                Assert.Null(TensorScope.Current);
                for (int i = 0; i < 64; i++)
                    MakeAndDrop(device);
            })));
            device.Memory.Collect();
            Assert.Equal(0, device.Memory.AllocatedBytes);
        }
        finally
        {
            device.Dispose();
        }
    }

    // 6. Concurrent backward passes sharing a leaf.

    [Fact]
    public void Concurrent_backward_passes_add_exactly_into_a_shared_leaf()
    {
        var x = new Variable(Device.Scalar(3.0));
        var threads = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
        {
            for (int i = 0; i < 500; i++)
                Square(x).Backward();
        })).ToArray();
        foreach (var t in threads)
            t.Start();
        foreach (var t in threads)
            t.Join();
        Assert.Equal(6000.0, x.Grad!.Item());
    }

    /// <summary>Outside a child: runs the calling test in a child process and returns true. Inside: false, run the case.</summary>
    private bool RanInChildProcess([CallerMemberName] string method = "")
    {
        if (ChildProcess.IsChild)
            return false;
        fixture.Require();
        ChildProcess.AssertPasses(GetType(), method, ChildTimeout);
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MakeAndDrop(Device device) => _ = device.Ones(1024);
}

public sealed class CpuHostileTests(CpuFixture fixture) : HostileTests<CpuFixture>(fixture);

public sealed class CudaHostileTests(CudaFixture fixture) : HostileTests<CudaFixture>(fixture);

public sealed class OpenCLHostileTests(OpenCLFixture fixture) : HostileTests<OpenCLFixture>(fixture);
