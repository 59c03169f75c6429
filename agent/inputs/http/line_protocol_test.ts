import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { LineSyntaxError, parseLine, seriesKey, toReadings } from "./line_protocol.ts";

Deno.test("parseLine reads tags, every field type and the timestamp", () => {
  assertEquals(
    parseLine(
      'weather,location=us\\ west,sea\\=level=1 t=82,h=12i,u=7u,ok=T,s="a \\"b\\"",n=-1.5e3 1465839830100400200',
    ),
    {
      series: "weather,location=us\\ west,sea\\=level=1",
      measurement: "weather",
      tags: [["location", "us west"], ["sea=level", "1"]],
      fields: [["t", 82], ["h", 12], ["u", 7], ["ok", true], ["s", 'a "b"'], ["n", -1500]],
      timestamp: 1465839830100400200n,
    },
  );
});

Deno.test("parseLine accepts escaped measurement names and no timestamp", () => {
  const line = parseLine("my\\ meas\\,ure value=1");
  assertEquals(line.measurement, "my meas,ure");
  assertEquals(line.timestamp, undefined);
  assertEquals(parseLine("m v=1 -5").timestamp, -5n);
});

Deno.test("parseLine names what is wrong and where", () => {
  const cases: [string, string][] = [
    ["", "missing measurement"],
    ["cpu", "missing fields"],
    ["cpu,host value=1", "missing '=' after tag key"],
    ["cpu,host= value=1", 'empty value of tag "host"'],
    ["cpu value=", "empty field value"],
    ["cpu value=abc", 'bad number "abc"'],
    ["cpu value=1.2i", 'bad integer "1.2i"'],
    ["cpu value=-1u", 'bad unsigned "-1u"'],
    ['cpu value="open', "unterminated string field"],
    ["cpu value=1 12x", "bad timestamp"],
    ["cpu value=1 1 2", "bad timestamp"],
    ["cpu value=1 123456789012345678901", "timestamp out of range"],
    ["cpu value=1e999", "number out of range"],
  ];
  for (const [line, message] of cases) {
    assertThrows(() => parseLine(line), LineSyntaxError, message);
  }
});

Deno.test("toReadings maps series key to sensor, fields to metrics, unit tag to unit", () => {
  const parsed = parseLine('env,site=a,unit=degC,room=r\\ 1 temp=21.5,ok=true,note="x" 17');
  const { readings, ts, stringFields } = toReadings(parsed, { precisionNs: 1_000n, recvTs: 99n });
  assertEquals(ts, 17_000n);
  assertEquals(stringFields, 1);
  assertEquals(readings, [
    {
      ts: 17_000n,
      recv_ts: 99n,
      sensor: "env,room=r\\ 1,site=a,unit=degC",
      metric: "temp",
      value: 21.5,
      unit: "degC",
      tags: '{"room":"r 1","site":"a"}',
    },
    {
      ts: 17_000n,
      recv_ts: 99n,
      sensor: "env,room=r\\ 1,site=a,unit=degC",
      metric: "ok",
      value: 1,
      unit: "degC",
      tags: '{"room":"r 1","site":"a"}',
    },
  ]);
});

Deno.test("toReadings uses sensor_tag, extra tags and the receive time", () => {
  const parsed = parseLine("env,id=t-7,site=a temp=1");
  const [r] = toReadings(parsed, {
    precisionNs: 1n,
    recvTs: 5n,
    sensorTag: "id",
    extraTags: { db: "telegraf" },
  }).readings;
  assertEquals(r?.sensor, "t-7");
  assertEquals(r?.tags, '{"db":"telegraf","site":"a"}');
  assertEquals(r?.ts, 5n);
});

Deno.test("seriesKey escapes like line protocol", () => {
  assertEquals(seriesKey("a b,c", [["k=1", "v 2"]]), "a\\ b\\,c,k\\=1=v\\ 2");
});
