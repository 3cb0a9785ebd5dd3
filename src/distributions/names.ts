/**
 * PEP 503 normalised project name: `re.sub(r"[-_.]+", "-", name).lower()`. Servers compare and
 * serve projects by this form (`Products.Foo`, `products_foo` and `products-foo` are one project).
 */
export function normalizeName(name: string): string {
  return name.replace(/[-_.]+/g, "-").toLowerCase();
}
