"""One Router per domain; functions include the routers the route table gives them."""
