"""A Breakout whose game loop runs at import: the module never finishes loading."""

import pygame

pygame.init()
screen = pygame.display.set_mode((400, 300))


class Game:
    def __init__(self, width, height):
        self.ball = pygame.Rect(width // 2, height // 2, 10, 10)

    def step(self, keys):
        self.ball.x += 1


game = Game(400, 300)
while True:
    pygame.event.pump()
    game.step(set())
