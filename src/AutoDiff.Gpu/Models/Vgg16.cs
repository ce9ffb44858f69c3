using AutoDiff.Gpu.Layers;

namespace AutoDiff.Gpu.Models;

/// <summary>
/// DeZero's <c>models.VGG16</c>: thirteen 3×3 convolutions (stride 1, padding 1) in five blocks of 64, 128, 256,
/// 512 and 512 channels, each block followed by 2×2 max pooling, then fully connected layers of 4096, 4096 and 1000
/// outputs, with ReLU after each layer but the last and dropout after fc6 and fc7. Its parameters are named as
/// DeZero's (<c>conv1_1/W</c> … <c>fc8/b</c>), so DeZero's <c>vgg16.npz</c> loads as it is (nothing is downloaded).
/// </summary>
public sealed class Vgg16 : Layer
{
    /// <summary>The side of the images the pretrained weights were trained on.</summary>
    public const int ImageSize = 224;

    private static readonly int[][] Blocks = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]];

    private static readonly int[] FullyConnected = [4096, 4096, 1000];

    private readonly Conv2d[] convolutions;
    private readonly Linear[] fullyConnected;

    /// <summary>
    /// The network; without a device its parameters are made on the first call, as DeZero's. With one, they are made
    /// now on it, for 3-channel images of side <paramref name="imageSize"/> (fc6 takes 512·(side/32)² inputs).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The image side is below 32.</exception>
    public Vgg16(Device? device = null, DType dtype = Device.DefaultDType, int imageSize = ImageSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(imageSize, 32);
        var shapes = ParameterShapes(imageSize);
        int Inputs(string name, int axis) => shapes.First(s => s.Name == $"{name}/W").Shape[axis];
        convolutions = [.. ConvolutionNames().Select((name, i) => Sublayer(name, new Conv2d(
            ChannelsOf(i), 3, stride: 1, pad: 1, inChannels: Inputs(name, 1), dtype: dtype, device: device)))];
        fullyConnected = [.. FullyConnected.Select((size, i) => Sublayer($"fc{6 + i}", new Linear(
            size, inSize: Inputs($"fc{6 + i}", 0), dtype: dtype, device: device)))];
    }

    /// <summary>
    /// The network with the weights of the DeZero <c>.npz</c> at <paramref name="path"/> (DeZero's
    /// <c>VGG16(pretrained=True)</c> with the file already on disk), on <paramref name="device"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">The file lacks a parameter or holds one of another shape.</exception>
    public static Vgg16 Pretrained(string path, Device device, DType dtype = Device.DefaultDType)
    {
        ArgumentNullException.ThrowIfNull(device);
        var model = new Vgg16(device, dtype);
        model.LoadWeights(path);
        return model;
    }

    /// <summary>
    /// Every parameter's name and shape, in order, for images of side <paramref name="imageSize"/> (138,357,544
    /// values at 224, as DeZero's).
    /// </summary>
    public static IReadOnlyList<(string Name, Shape Shape)> ParameterShapes(int imageSize = ImageSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(imageSize, 32);
        var shapes = new List<(string Name, Shape Shape)>();
        int channels = 3, i = 0;
        foreach (string name in ConvolutionNames())
        {
            int filters = ChannelsOf(i++);
            shapes.Add(($"{name}/W", new Shape(filters, channels, 3, 3)));
            shapes.Add(($"{name}/b", new Shape(filters)));
            channels = filters;
        }
        int inputs = channels * (imageSize / 32) * (imageSize / 32);
        for (int j = 0; j < FullyConnected.Length; j++)
        {
            shapes.Add(($"fc{6 + j}/W", new Shape(inputs, FullyConnected[j])));
            shapes.Add(($"fc{6 + j}/b", new Shape(FullyConnected[j])));
            inputs = FullyConnected[j];
        }
        return shapes;
    }

    /// <inheritdoc/>
    protected override Variable Forward(Variable[] inputs)
    {
        var x = OneInput(inputs);
        int layer = 0;
        foreach (var block in Blocks)
        {
            foreach (var _ in block)
                x = F.ReLU(convolutions[layer++].Call(x));
            x = F.Pooling(x, 2, 2);
        }
        x = F.Reshape(x, x.Shape[0], -1);
        x = F.Dropout(F.ReLU(fullyConnected[0].Call(x)));
        x = F.Dropout(F.ReLU(fullyConnected[1].Call(x)));
        return fullyConnected[2].Call(x);
    }

    /// <summary>conv1_1, conv1_2, conv2_1, … conv5_3.</summary>
    private static IEnumerable<string> ConvolutionNames() =>
        Blocks.SelectMany((block, b) => block.Select((_, i) => $"conv{b + 1}_{i + 1}"));

    private static int ChannelsOf(int convolution) => Blocks.SelectMany(b => b).ElementAt(convolution);
}
