"""A "ghost game": everything is there and the ball moves, but it touches nothing."""

import pygame


class Game:
    def __init__(self, width, height):
        self.width, self.height = width, height
        self.paddle = pygame.Rect(width // 2 - 40, height - 30, 80, 10)
        self.bricks = [pygame.Rect(10 + col * 48, 30 + row * 20, 44, 16)
                       for row in range(3) for col in range(6)]
        self.ball = pygame.Rect(width // 2, height // 2, 10, 10)
        self.ball_dx, self.ball_dy = 3, -3
        self.score = 0
        self.lives = 3
        self.game_over = False

    def step(self, keys):
        if "left" in keys:
            self.paddle.x -= 6
        if "right" in keys:
            self.paddle.x += 6
        self.ball.x += self.ball_dx
        self.ball.y += self.ball_dy
