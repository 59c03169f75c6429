import { assertEquals } from "../testing/asserts.ts";
import { bodyColumns, KINDS } from "../records.ts";
import { arrowSchemaOf, arrowTypeName } from "./arrow_schema.ts";

Deno.test("arrowSchemaOf lists every body column, non-nullable, in order", () => {
  for (const kind of KINDS) {
    const schema = arrowSchemaOf(kind);
    const columns = bodyColumns(kind);
    assertEquals(schema.fields.map((f) => f.name), columns.map((c) => c.name));
    assertEquals(schema.fields.map((f) => f.nullable), columns.map(() => false));
    assertEquals(
      schema.fields.map((f) => String(f.type)),
      columns.map((c) => arrowTypeName(c.type)),
    );
  }
});

Deno.test("arrowSchemaOf gives List columns a non-nullable Int32 child named item", () => {
  const field = arrowSchemaOf("trades").fields.find((f) => f.name === "conditions");
  assertEquals(field?.type.children?.[0]?.name, "item");
  assertEquals(field?.type.children?.[0]?.nullable, false);
  assertEquals(String(field?.type.children?.[0]?.type), "Int32");
});
