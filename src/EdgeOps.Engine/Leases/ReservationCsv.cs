using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace EdgeOps.Leases
{
    /// <summary>
    /// Reservations from CSV (Export-Csv of reservation objects, or a spreadsheet): columns Device, Start, End, and
    /// optionally DeviceUid and MachineName (header names are case-insensitive; StartUtc/EndUtc and Blazar's
    /// start_date/end_date are accepted too). Times without an offset are UTC unless a zone is given.
    /// </summary>
    public static class ReservationCsv
    {
        static readonly string[] DeviceCols = { "Device", "ComputerName", "DeviceName", "Name" };
        static readonly string[] UidCols = { "DeviceUid", "Uid" };
        static readonly string[] StartCols = { "Start", "StartUtc", "start_date", "StartTime" };
        static readonly string[] EndCols = { "End", "EndUtc", "end_date", "EndTime" };
        static readonly string[] MachineCols = { "MachineName", "machine_name" };

        public static CalendarData Load(string path, TimeZoneInfo floatingZone = null)
        {
            if (!File.Exists(path))
                throw new EdgeOpsException("CalendarNotFound", "ObjectNotFound", $"-Calendar '{path}': no such file. Give the path of a reservation CSV or .ics file, or a Blazar or iCalendar URL.");
            return Parse(File.ReadAllText(path), path, floatingZone);
        }

        public static CalendarData Parse(string text, string source, TimeZoneInfo floatingZone = null)
        {
            var rows = ReadRows(text).Where(r => !(r.Count == 1 && r[0].Length == 0)).ToList();
            if (rows.Count > 0 && rows[0].Count > 0 && rows[0][0].StartsWith("#TYPE", StringComparison.Ordinal)) rows.RemoveAt(0);
            var data = new CalendarData { Source = source };
            if (rows.Count == 0) return data;
            var header = rows[0].Select(h => h.Trim()).ToList();
            int Col(string[] names) => header.FindIndex(h => names.Any(n => n.Equals(h, StringComparison.OrdinalIgnoreCase)));
            int dev = Col(DeviceCols), uid = Col(UidCols), start = Col(StartCols), end = Col(EndCols), machine = Col(MachineCols);
            if ((dev < 0 && uid < 0) || start < 0 || end < 0)
                throw new EdgeOpsException("InvalidReservationCsv", "InvalidData",
                    $"{source}: a reservation CSV needs the columns Device (or DeviceUid), Start and End; this one has {string.Join(", ", header)}.");
            for (int i = 1; i < rows.Count; i++)
            {
                var r = rows[i];
                string Cell(int c) => c >= 0 && c < r.Count ? r[c].Trim() : "";
                var what = $"{source} line {i + 1}";
                var res = new LeaseReservation
                {
                    Device = NullIfEmpty(Cell(dev)), DeviceUid = NullIfEmpty(Cell(uid)), MachineName = NullIfEmpty(Cell(machine)),
                    StartUtc = LeaseTime.ToUtc(Cell(start), floatingZone, what + " Start"),
                    EndUtc = LeaseTime.ToUtc(Cell(end), floatingZone, what + " End"),
                    Label = what,
                };
                if (res.Device == null && res.DeviceUid == null)
                    throw new EdgeOpsException("InvalidReservationCsv", "InvalidData", $"{what}: the Device cell is empty. Name the device the reservation belongs to.");
                data.Reservations.Add(res);
            }
            return data;
        }

        static string NullIfEmpty(string s) => string.IsNullOrEmpty(s) ? null : s;

        /// <summary>RFC 4180 rows: quoted fields may hold commas, quotes ("") and line breaks. ';' when the header has no ','.</summary>
        static List<List<string>> ReadRows(string text)
        {
            var firstLine = text.Split('\n')[0];
            char sep = firstLine.IndexOf(',') < 0 && firstLine.IndexOf(';') >= 0 ? ';' : ',';
            var rows = new List<List<string>>();
            var row = new List<string>();
            var cell = new StringBuilder();
            bool quoted = false;
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                if (quoted)
                {
                    if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { cell.Append('"'); i++; }
                    else if (c == '"') quoted = false;
                    else cell.Append(c);
                }
                else if (c == '"') quoted = true;
                else if (c == sep) { row.Add(cell.ToString()); cell.Clear(); }
                else if (c == '\r') { }
                else if (c == '\n') { row.Add(cell.ToString()); cell.Clear(); rows.Add(row); row = new List<string>(); }
                else cell.Append(c);
            }
            if (cell.Length > 0 || row.Count > 0) { row.Add(cell.ToString()); rows.Add(row); }
            return rows;
        }
    }
}
