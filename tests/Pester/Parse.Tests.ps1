# Every help example, every README code block and every example script parses with the real parsers:
# PowerShell's for PowerShell, bash -n for shell, EdgeOps' own inventory reader for the YAML inventory.
BeforeDiscovery {
    $root = [IO.Path]::GetFullPath((Join-Path $PSScriptRoot ../..))
    Import-Module (Join-Path $root out/module/EdgeOps/EdgeOps.psd1) -Force
    $examples = foreach ($c in (Get-Module EdgeOps).ExportedCmdlets.Keys | Sort-Object) {
        $i = 0
        foreach ($e in (Get-Help $c -Full).examples.example) { $i++; @{ Name = "$c example $i"; Code = "$($e.code)" } }
    }
    $readme = Get-Content (Join-Path $root README.md) -Raw
    $blocks = foreach ($m in [regex]::Matches($readme, '(?ms)^[ \t]*```(\w+)[ \t]*\r?\n(.*?)^[ \t]*```')) {
        @{ Language = $m.Groups[1].Value; Code = $m.Groups[2].Value; Line = ($readme.Substring(0, $m.Index) -split "`n").Count }
    }
    # inline commands with arguments (Quick start's steps, the Install section)
    $inline = foreach ($m in [regex]::Matches(($readme -replace '(?ms)```.*?```', ''), '`([^`\r\n]*\b(?:Get|Test|Invoke|New|Remove|Install|Publish|Backup|Restore|Export|Import)-[A-Za-z]+\b[^`\r\n]*)`')) {
        if ($m.Groups[1].Value -match '\s' -and $m.Groups[1].Value -notmatch '<\w+>') { @{ Code = $m.Groups[1].Value } }   # not syntax with <placeholders>
    }
    $scripts = @(Get-ChildItem (Join-Path $root examples) -Recurse -Filter *.ps1 | ForEach-Object { @{ Name = $_.Name; Path = $_.FullName } }) +
               @(@{ Name = 'build.ps1'; Path = (Join-Path $root build.ps1) })
}

BeforeAll {
    $root = [IO.Path]::GetFullPath((Join-Path $PSScriptRoot ../..))
    Import-Module (Join-Path $root out/module/EdgeOps/EdgeOps.psd1) -Force
    function Get-ParseErrors([string] $Code) {
        $tokens = $errors = $null
        [Management.Automation.Language.Parser]::ParseInput($Code, [ref] $tokens, [ref] $errors) | Out-Null
        @($errors | ForEach-Object { "$($_.Extent.StartLineNumber):$($_.Extent.StartColumnNumber) $($_.Message)" })
    }
    function Get-EdgeOpsCommands([string] $Code) {
        $ast = [Management.Automation.Language.Parser]::ParseInput($Code, [ref] $null, [ref] $null)
        @($ast.FindAll({ $args[0] -is [Management.Automation.Language.CommandAst] }, $true) | ForEach-Object { $_.GetCommandName() } |
            Where-Object { $_ -match '^\w+-(Edge|Swap|Torch|SdCard|Lease)' })
    }
}

Describe 'Help example parses: <Name>' -ForEach $examples {
    It 'has no parse errors and calls only commands that exist' {
        Get-ParseErrors $Code | Should -BeNullOrEmpty
        foreach ($cmd in Get-EdgeOpsCommands $Code) { Get-Command $cmd -ErrorAction SilentlyContinue | Should -Not -BeNullOrEmpty -Because "$cmd is used" }
    }
}

Describe 'README code blocks parse' {
    It 'block at line <Line> (<Language>) parses' -ForEach $blocks {
        switch ($Language) {
            'powershell' {
                Get-ParseErrors $Code | Should -BeNullOrEmpty
                foreach ($cmd in Get-EdgeOpsCommands $Code) { Get-Command $cmd -ErrorAction SilentlyContinue | Should -Not -BeNullOrEmpty }
            }
            'sh' {
                $Code | & bash -n 2>&1 | Should -BeNullOrEmpty
                $LASTEXITCODE | Should -Be 0
            }
            'yaml' {
                # README's inventory is read by the module's own inventory reader, as Get-EdgeDevice reads fleet.yaml
                $file = Join-Path ([IO.Path]::GetTempPath()) "edgeops-readme-$(New-Guid).yaml"
                try {
                    Set-Content -Path $file -Value $Code
                    $devices = @(Get-EdgeDevice -Inventory $file -ErrorAction Stop)
                    $devices.Count | Should -BeGreaterThan 0
                }
                finally { Remove-Item $file -ErrorAction SilentlyContinue }
            }
            default { throw "README has a ``````$Language block: teach tests/Pester/Parse.Tests.ps1 to check it" }
        }
    }

    It 'inline command "<Code>" parses' -ForEach $inline {
        Get-ParseErrors $Code | Should -BeNullOrEmpty
    }
}

Describe 'Example scripts parse: <Name>' -ForEach $scripts {
    It 'has no parse errors' {
        $tokens = $errors = $null
        [Management.Automation.Language.Parser]::ParseFile($Path, [ref] $tokens, [ref] $errors) | Out-Null
        $errors | Should -BeNullOrEmpty
    }
}
