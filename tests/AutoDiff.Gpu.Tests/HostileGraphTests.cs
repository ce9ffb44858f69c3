using System.Runtime.CompilerServices;
using AutoDiff.Gpu.Functions;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// The graph used as a hostile user would: failed backward passes, shared and owned gradients, custom functions
/// returning misfits, misused scopes and config scopes. Every case asserts the clear exception or the exact result
/// and the state afterwards (see <see cref="HostileTests{TFixture}"/> for devices and threads). Bound to each
/// accelerator kind below.
/// </summary>
public abstract class HostileGraphTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    protected Device Device => fixture.Require();

    // 7. A failed backward changes nothing.

    [Fact]
    public void A_backward_that_cannot_run_changes_nothing_and_names_what_was_disposed()
    {
        var a = new Variable(Device.Scalar(2.0), "a");
        var b = new Variable(Device.Scalar(5.0), "b");
        var t = Square(a);
        var y = Add(t, b);
        a.Dispose();
        for (int attempt = 0; attempt < 2; attempt++)
        {
            var e = Assert.Throws<ObjectDisposedException>(() => y.Backward());
            Assert.Contains("Square", e.Message, StringComparison.Ordinal);
            Assert.Contains("variable 'a' () float64", e.Message, StringComparison.Ordinal);
            Assert.Null(b.Grad);
            Assert.Null(t.Grad);
            Assert.Null(y.Grad);
        }
    }

    [Fact]
    public void A_backward_whose_step_throws_leaves_every_gradient_as_it_was()
    {
        var x = new Variable(Device.Scalar(3.0));
        var z = new Variable(Device.Scalar(1.0));
        Square(x).Backward();                                     // x.grad = 6
        var y = Add(new Throwing().Call(Square(x))[0], z);
        Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Equal(6.0, x.Grad!.Item());
        Assert.Null(z.Grad);
        Assert.Null(y.Grad);
    }

    // 8. Ownership.

    [Fact]
    public void Disposing_variables_never_disposes_a_gradient_the_caller_owns()
    {
        var seed = new Variable(Device.Scalar(10.0));
        for (int i = 0; i < 3; i++)
        {
            var x0 = new Variable(Device.Scalar(1.0));
            var x1 = new Variable(Device.Scalar(2.0));
            var y = Add(x0, x1);
            y.Grad = seed;
            y.Backward();
            Assert.Equal(10.0, x0.Grad!.Item());
            Assert.Equal(10.0, x1.Grad!.Item());
            x0.Dispose();
            x1.Dispose();
            Assert.False(seed.IsDisposed);
            Assert.Equal(10.0, seed.Item());
        }
    }

    [Fact]
    public void Disposing_a_variable_keeps_a_gradient_another_variable_shares()
    {
        var a = new Variable(Device.Scalar(1.0));
        var b = new Variable(Device.Scalar(2.0));
        var y = Add(a, b);
        y.Backward();
        a.Dispose();
        Assert.Equal(1.0, b.Grad!.Item());
    }

    [Fact]
    public void A_gradient_read_before_another_backward_is_never_released_early()
    {
        var x = new Variable(Device.Scalar(3.0));
        Square(x).Backward();
        var first = x.Grad!;
        Square(x).Backward();
        Assert.Equal(6.0, first.Item());
        Assert.Equal(12.0, x.Grad!.Item());
    }

    [Fact]
    public void RetainGrad_diamond_keeps_every_exact_gradient()
    {
        var x = new Variable(Device.Scalar(2.0));
        var a = Square(x);
        var b1 = Square(a);
        var b2 = Square(a);
        var y = Add(b1, b2);
        y.Backward(retainGrad: true);
        Assert.Equal(32.0, y.Item());
        Assert.Equal(1.0, y.Grad!.Item());
        Assert.Equal(1.0, b1.Grad!.Item());
        Assert.Equal(1.0, b2.Grad!.Item());
        Assert.Equal(16.0, a.Grad!.Item());
        Assert.Equal(64.0, x.Grad!.Item());
    }

    // 9. Checks that name the problem.

    [Fact]
    public void A_custom_function_returning_bad_gradients_is_named()
    {
        var x = new Variable(Device.FromArray([1f, 2f, 3f]));
        var wrongShape = Assert.Throws<InvalidOperationException>(() => new BadGradient(_ => new Variable(Device.Ones(7))).Call(x)[0].Backward());
        Assert.Contains("BadGradient", wrongShape.Message, StringComparison.Ordinal);
        Assert.Contains("(7,)", wrongShape.Message, StringComparison.Ordinal);
        Assert.Contains("(3,)", wrongShape.Message, StringComparison.Ordinal);
        var wrongType = Assert.Throws<InvalidOperationException>(() => new BadGradient(_ => new Variable(Device.Ones(new Shape(3), DType.Float64))).Call(x)[0].Backward());
        Assert.Contains("float64", wrongType.Message, StringComparison.Ordinal);
        var none = Assert.Throws<InvalidOperationException>(() => new BadGradient(_ => null!, nullArray: true).Call(x)[0].Backward());
        Assert.Contains("returned null", none.Message, StringComparison.Ordinal);
        Assert.Null(x.Grad);

        var noInput = Assert.Throws<ArgumentException>(() => new Square().Call());
        Assert.Contains("Square takes 1 input, got 0", noInput.Message, StringComparison.Ordinal);
        var twoInputs = Assert.Throws<ArgumentException>(() => new Square().Call(x, x));
        Assert.Contains("got 2", twoInputs.Message, StringComparison.Ordinal);
        var f = new Square();
        f.Call(x);
        Assert.Throws<InvalidOperationException>(() => f.Call(x));
    }

    [Fact]
    public void Replacing_data_or_grad_with_a_misfit_is_rejected()
    {
        var x = new Variable(Device.FromArray([1f, 2f]));
        var dtype = Assert.Throws<ArgumentException>(() => x.Data = Device.FromArray([1.0, 2.0]));
        Assert.Contains("float64", dtype.Message, StringComparison.Ordinal);
        var shape = Assert.Throws<ArgumentException>(() => x.Data = Device.FromArray([1f, 2f, 3f]));
        Assert.Contains("(3,)", shape.Message, StringComparison.Ordinal);
        Assert.Equal([1f, 2f], x.ToArray<float>());
        x.Data = Device.FromArray([5f, 6f]);
        Assert.Equal([5f, 6f], x.ToArray<float>());
        Assert.Throws<ArgumentOutOfRangeException>(() => Device.Memory.Limit = -5);
    }

    [Fact]
    public void Tensors_convert_between_element_types_and_devices()
    {
        var t = Device.FromArray([1.5f, -2f, 3.25f]);
        var d = t.To(DType.Float64);
        Assert.Equal(DType.Float64, d.DType);
        Assert.Equal([1.5, -2.0, 3.25], d.ToArray<double>());
        Assert.Equal([1.5f, -2f, 3.25f], d.To(DType.Float32).ToArray<float>());
        using var other = Device.Open(fixture.Kind, 0);
        var moved = t.To(other);
        Assert.Same(other, moved.Device);
        Assert.Equal([1.5f, -2f, 3.25f], moved.ToArray<float>());
    }

    // 10. Scope misuse.

    [Fact]
    public void Disposing_an_outer_scope_disposes_the_inner_one()
    {
        var outer = TensorScope.Begin();
        var a = Device.Ones(4);
        var inner = TensorScope.Begin();
        var b = Device.Ones(4);
        outer.Dispose();
        Assert.True(a.IsDisposed);
        Assert.True(b.IsDisposed);
        Assert.True(inner.IsDisposed);
        Assert.Null(TensorScope.Current);
        Assert.Throws<ObjectDisposedException>(() => inner.Keep(b));
        inner.Dispose();
    }

    [Fact]
    public void Keep_rejects_tensors_outside_the_scope_and_disposed_scopes()
    {
        var outside = Device.Ones(4);
        var scope = TensorScope.Begin();
        var inside = Device.Ones(4);
        var e = Assert.Throws<ArgumentException>(() => scope.Keep(outside));
        Assert.Contains("not in this scope", e.Message, StringComparison.Ordinal);
        Assert.Same(inside, scope.Keep(inside));
        Assert.Throws<ArgumentException>(() => scope.Keep(inside));
        scope.Dispose();
        Assert.False(inside.IsDisposed);
        Assert.False(outside.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => scope.Keep(inside));
    }

    [Fact]
    public void A_leaf_gradient_survives_the_scope_open_during_backward()
    {
        var x = new Variable(Device.Scalar(3.0));
        Square(x).Backward();                            // 6, made outside any scope
        using (TensorScope.Begin())
            Square(x).Backward();                        // 6 + 6, made inside the scope
        Assert.Equal(12.0, x.Grad!.Item());
    }

    // 11. Config scopes out of order.

    [Fact]
    public void Config_scopes_disposed_out_of_order_restore_the_original()
    {
        Assert.True(Config.EnableBackprop);
        var s1 = Config.NoGrad();
        var s2 = Config.UsingConfig(Config.EnableBackpropName, true);
        s1.Dispose();
        Assert.True(Config.EnableBackprop);              // s2 is still open
        s2.Dispose();
        Assert.True(Config.EnableBackprop);

        var t1 = Config.UsingConfig(Config.EnableBackpropName, true);
        var t2 = Config.NoGrad();
        t1.Dispose();
        Assert.False(Config.EnableBackprop);             // t2 is still open
        t2.Dispose();
        Assert.True(Config.EnableBackprop);

        using (Config.NoGrad())
            Config.EnableBackprop = false;
        Assert.True(Config.EnableBackprop);
    }

    // 12. Recordings read while others allocate.

    [Fact]
    public async Task A_recording_can_be_read_while_another_thread_allocates()
    {
        var device = fixture.OpenFresh();
        try
        {
            using var recording = device.Memory.StartRecording();
            var writer = Task.Run(
                () =>
                {
                    for (int i = 0; i < 2000; i++)
                        device.Ones(16).Dispose();
                },
                TestContext.Current.CancellationToken);
            long reads = 0;
            while (!writer.IsCompleted)
                reads += recording.Samples.Count(s => s.Bytes >= 0);
            await writer;
            // One sample at the start, then one per allocation and one per release.
            Assert.Equal(1 + 4000, recording.Samples.Count);
            Assert.True(reads > 0);
        }
        finally
        {
            device.Dispose();
        }
    }

    /// <summary>y = x; its backward returns what the test says.</summary>
    private sealed class BadGradient(Func<Variable, Variable> gradient, bool nullArray = false) : Function
    {
        protected override int Arity => 1;

        protected override Tensor[] Forward(Tensor[] xs) => [xs[0].To(xs[0].DType)];

        protected override Variable?[] Backward(Variable[] gys) => nullArray ? null! : [gradient(gys[0])];
    }

    /// <summary>y = x; its backward throws.</summary>
    private sealed class Throwing : Function
    {
        protected override int Arity => 1;

        protected override Tensor[] Forward(Tensor[] xs) => [xs[0].To(xs[0].DType)];

        protected override Variable?[] Backward(Variable[] gys) => throw new InvalidOperationException("backward failed");
    }
}


public sealed class CpuHostileGraphTests(CpuFixture fixture) : HostileGraphTests<CpuFixture>(fixture);

public sealed class CudaHostileGraphTests(CudaFixture fixture) : HostileGraphTests<CudaFixture>(fixture);

public sealed class OpenCLHostileGraphTests(OpenCLFixture fixture) : HostileGraphTests<OpenCLFixture>(fixture);
