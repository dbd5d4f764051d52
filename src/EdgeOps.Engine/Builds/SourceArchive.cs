using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using ICSharpCode.SharpZipLib.GZip;
using ICSharpCode.SharpZipLib.Tar;

namespace EdgeOps.Builds
{
    /// <summary>A project folder on the controller packed as .tar.gz (one top-level folder) for upload.</summary>
    public static class SourceArchive
    {
        /// <summary>Folders never worth uploading: version control, earlier build output, caches.</summary>
        static readonly string[] s_skip = { ".git", ".hg", ".svn", "__pycache__", ".mypy_cache", ".pytest_cache", ".tox", ".venv" };

        public static void Pack(string folder, string topName, Stream output)
        {
            var root = new DirectoryInfo(folder);
            using (var gz = new GZipOutputStream(output) { IsStreamOwner = false })
            {
                using (var tar = new TarOutputStream(gz, System.Text.Encoding.UTF8) { IsStreamOwner = false })
                    AddDir(tar, root, topName);
                gz.Finish();
            }
        }

        static void AddDir(TarOutputStream tar, DirectoryInfo dir, string name)
        {
            var e = TarEntry.CreateTarEntry(name + "/");
            e.TarHeader.TypeFlag = TarHeader.LF_DIR;
            e.TarHeader.Mode = Convert.ToInt32("755", 8);
            e.ModTime = dir.LastWriteTimeUtc;
            tar.PutNextEntry(e);
            tar.CloseEntry();
            foreach (var d in dir.GetDirectories().OrderBy(x => x.Name, StringComparer.Ordinal))
            {
                if (s_skip.Contains(d.Name) || (d.Attributes & FileAttributes.ReparsePoint) != 0) continue;
                AddDir(tar, d, name + "/" + d.Name);
            }
            foreach (var f in dir.GetFiles().OrderBy(x => x.Name, StringComparer.Ordinal))
            {
                if ((f.Attributes & FileAttributes.ReparsePoint) != 0) continue;
                var fe = TarEntry.CreateTarEntry(name + "/" + f.Name);
                fe.Size = f.Length;
                fe.ModTime = f.LastWriteTimeUtc;
                fe.TarHeader.Mode = Executable(f) ? Convert.ToInt32("755", 8) : Convert.ToInt32("644", 8);
                tar.PutNextEntry(fe);
                using (var s = f.OpenRead()) s.CopyTo(tar);
                tar.CloseEntry();
            }
        }

        /// <summary>netstandard2.0 cannot read a file's mode: scripts by name are made executable.</summary>
        static bool Executable(FileInfo f) => Regex.IsMatch(f.Name, @"\.(sh|py|pl)$") || f.Name == "configure" || f.Name == "gradlew";

        /// <summary>A project name from a folder, an archive or a git URL: "proj" from ./proj, proj-1.0.tar.gz, .../proj.git.</summary>
        public static string ProjectName(string source)
        {
            var s = (source ?? "").TrimEnd('/', '\\');
            var name = s.Substring(Math.Max(s.LastIndexOf('/'), s.LastIndexOf('\\')) + 1);
            name = Regex.Replace(name, @"(\.tar\.gz|\.tgz|\.git)$", "", RegexOptions.IgnoreCase);
            name = Regex.Replace(name, "[^A-Za-z0-9._-]+", "-").Trim('-', '.');
            return name.Length == 0 ? "project" : name.Length > 60 ? name.Substring(0, 60) : name;
        }
    }
}
