# One warnings list for every target of the project.
add_library(gatehouse_warnings INTERFACE)
target_compile_options(gatehouse_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
  -Wimplicit-fallthrough -Wformat=2)
