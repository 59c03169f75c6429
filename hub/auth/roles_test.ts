import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { isRole, roleAdmitted, ROLES } from "./roles.ts";

Deno.test("isRole accepts the three roles only", () => {
  assertEquals(ROLES.filter(isRole).length, 3);
  assert(!isRole("root"));
  assert(!isRole(undefined));
});

Deno.test("roleAdmitted admits admin everywhere and others only where listed", () => {
  assert(roleAdmitted("admin", []));
  assert(roleAdmitted("reader", ["reader"]));
  assert(!roleAdmitted("reader", ["admin"]));
  assert(!roleAdmitted("agent", ["reader"]));
  assert(roleAdmitted("agent", ["reader", "agent"]));
});
