using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using AutoDiff.Gpu.Layers;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// Weights in safetensors: a file made from the specification alone (Data/make_safetensors.py) loads, what we write
/// follows the specification, and malformed files are refused naming the file and the tensor. Bound to each
/// accelerator kind below.
/// </summary>
public abstract class SafeTensorsTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>, IDisposable
    where TFixture : DeviceFixture
{
    /// <summary>Data/make_safetensors.py's output: l0/b (3,) float64 and l0/W (2, 3) float32, metadata format=pt.</summary>
    private const string SpecFile =
        "mAAAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJmb3JtYXQiOiJwdCJ9LCJsMC9iIjp7ImR0eXBlIjoiRjY0Iiwic2hhcGUiOlszXSwiZGF0YV9vZmZzZXRzIjpbMCwy" +
        "NF19LCJsMC9XIjp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOlsyLDNdLCJkYXRhX29mZnNldHMiOlsyNCw0OF19fSAgIAAAAAAAAOA/AAAAAAAA0L8AAAAAAAAAQAAAwD8A" +
        "AADAAABQQAAAgEAAAKBAAADQwA==";

    private readonly string folder = Directory.CreateTempSubdirectory("autodiff-safetensors-").FullName;

    protected Device Device => fixture.Require();

    private string Path => System.IO.Path.Combine(folder, "w.safetensors");

    public void Dispose()
    {
        Directory.Delete(folder, recursive: true);
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void A_file_made_from_the_specification_loads_in_each_parameters_element_type()
    {
        File.WriteAllBytes(Path, Convert.FromBase64String(SpecFile));
        var model = new Mlp([3]);
        model.Call(new Variable(Device.Ones(1, 2)));
        model.LoadWeights(Path);
        Assert.Equal([1.5f, -2f, 3.25f, 4f, 5f, -6.5f], model.Layers[0].W!.Data.ToArray<float>());
        Assert.Equal([0.5f, -0.25f, 2f], model.Layers[0].B!.Data.ToArray<float>());
    }

    [Fact]
    public void What_we_write_follows_the_specification_and_loads_back()
    {
        Device.Random.ManualSeed(4);
        var model = new Mlp([4, 2]);
        var x = new Variable(Device.RandN(3, 5));
        var y = model.Call(x).Data.ToArray<float>();
        model.SaveWeights(Path);

        var bytes = File.ReadAllBytes(Path);
        long length = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + length) % 8);
        using var header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)length));
        var w = header.RootElement.GetProperty("l0/W");
        Assert.Equal("F32", w.GetProperty("dtype").GetString());
        Assert.Equal([5, 4], w.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
        var range = w.GetProperty("data_offsets").EnumerateArray().Select(o => o.GetInt32()).ToArray();
        var stored = new float[20];
        Buffer.BlockCopy(bytes, 8 + (int)length + range[0], stored, 0, range[1] - range[0]);
        Assert.Equal(model.Layers[0].W!.Data.ToArray<float>(), stored);

        var other = new Mlp([4, 2]);
        other.Call(x);
        other.LoadWeights(Path);
        Assert.Equal(y, other.Call(x).Data.ToArray<float>());
    }

    [Theory]
    [InlineData("""{"l0/W":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"l0/b":{"dtype":"F32","shape":[3],"data_offsets":[20,32]}}""", 32, "tensor 'l0/b': its bytes start at 20")]
    [InlineData("""{"l0/W":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"l0/b":{"dtype":"F32","shape":[3],"data_offsets":[28,40]}}""", 40, "tensor 'l0/b': its bytes start at 28")]
    [InlineData("""{"l0/W":{"dtype":"F16","shape":[2,3],"data_offsets":[0,12]}}""", 12, "tensor 'l0/W' holds F16 elements")]
    [InlineData("""{"l0/W":{"dtype":"F32","shape":[2,-3],"data_offsets":[0,24]}}""", 24, "tensor 'l0/W': the shape holds -3")]
    [InlineData("""{"l0/W":{"dtype":"F32","shape":[2,3],"data_offsets":[0,2400]}}""", 24, "tensor 'l0/W': data_offsets [0,2400]")]
    [InlineData("""{"l0/W":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}""", 20, "tensor 'l0/W': 20 bytes for (2, 3) F32")]
    [InlineData("""{"l0/W":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"l0/W":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}""", 24, "names 'l0/W' twice")]
    [InlineData("""{"l0/W":{"dtype":"F32","shape":[2,3]}}""", 24, "tensor 'l0/W': an entry needs")]
    [InlineData("""[1, 2]""", 0, "the header is not a JSON object")]
    [InlineData("""{"l0/W":""", 0, "the header is not JSON")]
    public void A_malformed_file_is_invalid_data_naming_the_file_and_tensor(string header, int dataBytes, string problem)
    {
        var text = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + text.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)text.Length);
        text.CopyTo(bytes, 8);
        File.WriteAllBytes(Path, bytes);
        var model = new Layers.Linear(3, inSize: 2, device: Device);
        var w = model.W!.Data.ToArray<float>();
        var e = Assert.Throws<InvalidDataException>(() => model.LoadWeights(Path));
        Assert.Contains(Path, e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        Assert.Equal(w, model.W!.Data.ToArray<float>());
    }

    [Fact]
    public void A_header_length_past_the_file_is_refused_before_anything_is_allocated()
    {
        var bytes = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue / 2);
        File.WriteAllBytes(Path, bytes);
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => new Layers.Linear(3, inSize: 2, device: Device).LoadWeights(Path));
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - allocated, 0, 1L << 20);
        Assert.Contains("more than the file's 56", e.Message, StringComparison.Ordinal);
    }
}

public sealed class CpuSafeTensorsTests(CpuFixture fixture) : SafeTensorsTests<CpuFixture>(fixture);

public sealed class CudaSafeTensorsTests(CudaFixture fixture) : SafeTensorsTests<CudaFixture>(fixture);

public sealed class OpenCLSafeTensorsTests(OpenCLFixture fixture) : SafeTensorsTests<OpenCLFixture>(fixture);
