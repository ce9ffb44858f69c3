using AutoDiff.Gpu.Models;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// DeZero's VGG16: its parameters' names, shapes and count, a forward pass on small images, and its weights through
/// an <c>.npz</c> in DeZero's key layout. Bound to each accelerator kind below.
/// </summary>
public abstract class Vgg16Tests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    protected Device Device => fixture.Require();

    [Fact]
    public void The_parameters_are_DeZeros_by_name_shape_and_count()
    {
        var shapes = Vgg16.ParameterShapes();
        Assert.Equal(138_357_544, shapes.Sum(s => s.Shape.Length));
        Assert.Equal(32, shapes.Count);
        Assert.Equal(("conv1_1/W", new Shape(64, 3, 3, 3)), shapes[0]);
        Assert.Equal(("conv5_3/b", new Shape(512)), shapes[25]);
        Assert.Equal(("fc6/W", new Shape(25088, 4096)), shapes[26]);
        Assert.Equal(("fc8/b", new Shape(1000)), shapes[^1]);
        Assert.Equal(new Shape(512, 4096), Vgg16.ParameterShapes(32)[26].Shape);
        // Without a device nothing is made until the first call, as DeZero's.
        Assert.Empty(new Vgg16().Params());
        Assert.Throws<ArgumentOutOfRangeException>(() => new Vgg16(imageSize: 16));
    }

    [Fact]
    public void Small_images_give_a_thousand_scores_and_the_weights_round_trip()
    {
        Device.Random.ManualSeed(16);
        var model = new Vgg16(Device, imageSize: 32);
        Assert.Equal(Vgg16.ParameterShapes(32), model.NamedParams().Select(p => (p.Name, p.Parameter.Shape)));
        var x = new Variable(Device.Random.Normal(new Shape(1, 3, 32, 32), DType.Float32));
        Variable y;
        using (Config.TestMode())
        using (Config.NoGrad())
            y = model.Call(x);
        Assert.Equal((new Shape(1, 1000), DType.Float32), (y.Shape, y.DType));
        Assert.All(y.ToDoubleArray(), v => Assert.True(double.IsFinite(v)));

        string path = Path.Combine(Path.GetTempPath(), $"vgg16-{Guid.NewGuid():N}.npz");
        try
        {
            model.SaveWeights(path);
            using (var zip = System.IO.Compression.ZipFile.OpenRead(path))
            {
                var names = zip.Entries.Select(e => e.FullName);
                Assert.Equal(Vgg16.ParameterShapes(32).Select(s => s.Name + ".npy"), names);
            }
            // A second model costs as much again: the first one's weights are overwritten, then loaded back.
            var saved = model.Params().Select(p => p.ToArray<float>()).ToList();
            foreach (var p in model.Params())
                p.Data = Device.Zeros(p.Shape, p.DType);
            model.LoadWeights(path);
            foreach (var (p, values) in model.Params().Zip(saved))
                Assert.True(p.ToArray<float>().AsSpan().SequenceEqual(values), $"{p.Name} differs after loading");
        }
        finally
        {
            File.Delete(path);
        }
    }
}

public sealed class CpuVgg16Tests(CpuFixture fixture) : Vgg16Tests<CpuFixture>(fixture);

public sealed class CudaVgg16Tests(CudaFixture fixture) : Vgg16Tests<CudaFixture>(fixture);

public sealed class OpenCLVgg16Tests(OpenCLFixture fixture) : Vgg16Tests<OpenCLFixture>(fixture);
