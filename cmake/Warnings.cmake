# One warnings list for every target of the project.
add_library(gatehouse_warnings INTERFACE)
# -Wno-missing-field-initializers: GCC 12 warns on C++20 designated initializers that leave a
# member at its default (`NewMail{.kind = k, .now = t}`), which is what they are for.
target_compile_options(gatehouse_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
  -Wimplicit-fallthrough -Wformat=2 -Wno-missing-field-initializers)
