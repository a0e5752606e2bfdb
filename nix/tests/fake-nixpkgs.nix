# What `import nixpkgs` finds in the fake nixpkgs input of nix/tests.nix.
(import ./fakes.nix).importNixpkgs
