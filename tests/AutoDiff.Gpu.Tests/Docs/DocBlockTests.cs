namespace AutoDiff.Gpu.Tests.Docs;

/// <summary>
/// Every C# block of README.md and docs/*.md compiles as a user's console program, runs on the best device present,
/// and prints what its <c>// comments</c> promise.
/// </summary>
[Collection(nameof(ConsoleCapture))]
public sealed class DocBlockTests
{
    public static TheoryData<string, int> Blocks()
    {
        var data = new TheoryData<string, int>();
        foreach (var block in DocBlocks.Files().SelectMany(DocBlocks.Of))
            data.Add(block.File, block.Line);
        return data;
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void The_block_compiles_runs_and_prints_what_it_promises(string file, int line)
    {
        var block = DocBlocks.Find(file, line);
        var program = InMemoryProgram.Compile(block);
        var folder = Directory.CreateTempSubdirectory("autodiff-docs-");
        try
        {
            var printed = ConsoleCapture.Lines(() => InMemoryProgram.Run(program), folder.FullName);
            if (block.Expected.Count > 0)
            {
                Assert.True(block.Keeps(printed),
                    $"{block} printed\n{string.Join('\n', printed)}\ninstead of\n{string.Join('\n', block.Expected)}");
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_readme_opens_with_a_quick_start_that_promises_its_output()
    {
        var first = DocBlocks.Of("README.md").First();

        Assert.True(first.Line <= 40, $"the quick start starts at README.md:{first.Line}");
        Assert.False(first.Fragment, "the quick start is a whole program: package-check.sh pastes it as Program.cs");
        Assert.NotEmpty(first.Expected);
    }

    [Fact]
    public void Every_guide_has_code_that_runs()
    {
        var guides = DocBlocks.Files().Where(f => f.StartsWith("docs/", StringComparison.Ordinal)).ToList();

        Assert.NotEmpty(guides);
        Assert.All(guides, f => Assert.NotEmpty(DocBlocks.Of(f)));
    }
}
