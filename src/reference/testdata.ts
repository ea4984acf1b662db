// Test vectors shared by the tests of this folder: containers/image's registries.conf fixtures
// (values only), kept out of *.test.ts so that importing them does not run tests twice.

// containers/image's find-registry.conf with the registries.conf.d fixtures.
export const FIND_REGISTRY = `
[[registry]]
location = "registry.com:5000"
prefix = "simple-prefix.com"
[[registry]]
location = "another-registry.com:5000"
prefix = "complex-prefix.com:4000/with/path"
[[registry]]
location = "registry.com:5000"
prefix = "another-registry.com"
[[registry]]
location = "no-prefix.com"
[[registry]]
location = "empty-prefix.com"
prefix = ""
[[registry]]
location = "subdomain-prefix.com"
prefix = "*.so.simple-prefix.com"
[[registry]]
location = "subdomain-prefix-2.com"
prefix = "*.simple-prefix.com"
[[registry]]
location = "subdomain-prefix-1.com"
prefix = "*.not.quite.simple-prefix.com"
[[registry]]
location = "subdomain-prefix-2.com"
prefix = "*.docker.io"
[[registry]]
location = "subdomain-prefix-3.com"
prefix = "*.bar.example.com"
[[registry]]
location = "subdomain-prefix-4.com"
prefix = "*.bar.docker.io"
[[registry]]
location = "subdomain-prefix-5.com"
prefix = "foo.bar.example.com:5000"
[[registry]]
prefix="*.internal.registry.com"
[[registry]]
prefix="*.com"
[[registry]]
prefix="*.foobar.io"
`;

export const DROP_INS = {
  'config-1.conf': 'unqualified-search-registries = ["example-overwrite.com"]\n\n[[registry]]\nlocation = "1.com"\n\n[aliases]\ndocker="docker.io/library/config1"\nconfig1="config1.com/image"\nbarz="barz.com/image/config1"\n',
  'config-2.conf': 'short-name-mode="permissive"\ncredential-helpers=["dropin-1", "dropin-2"]\n[[registry]]\nlocation = "2.com"\n\n[[registry]]\nlocation = "base.com"\nblocked = true\n\n[aliases]\nconfig2="config2.com/image"\nbarz="barz.com/config2"\n',
  'config-3.ignore': '[[registry]]\nlocation = "ignored.com"\n',
  'subdomain-override-1.conf': '[[registry]]\nlocation = "subdomain-prefix-1-overridden-by-dropin-location.com"\nprefix = "*.not.quite.simple-prefix.com"\n',
  'subdomain-override-2.conf': '[[registry]]\nlocation = "subdomain-prefix-2-overridden-by-dropin-location.com"\nprefix = "*.docker.com"\n',
  'subdomain-override-3.conf': '[[registry]]\nlocation = "subdomain-prefix-3-overridden-by-dropin-location.com"\nprefix = "*.bar.example.com"\n',
};
