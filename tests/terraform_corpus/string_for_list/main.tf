module "child" {
  source = "./child"

  names = "just-one"
}
