HELLO = "world"
